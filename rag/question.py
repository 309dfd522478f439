"""Understanding the question: cleaning, validation, what kind of answer it wants (follow-ups: rag.followup).

All general signals (grammar of questions and requests), nothing tuned to a test set.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import BadQuestion
from .sanitize import for_log, strip_controls  # noqa: F401 - for_log: callers import it from here too
from .text import STOPWORDS, content_terms, names, normalize, words
from .followup import condense, is_followup  # noqa: F401 - callers import them from here
from .types import Turn

# Cyrillic and Greek letters drawn like Latin ones. NFKC leaves them alone, so "Аlibaba" with a
# Cyrillic А would not match "Alibaba"; inside a word that also has Latin letters (a mixed-script
# word, Unicode TR39) they are folded to Latin. Whole Cyrillic or Greek words are left as written.
_CONFUSABLE = str.maketrans(
    "АВЕКМНОРСТХУІЈЅԁаеорсухіјѕһӏԛԝкΑΒΕΖΗΙΚΜΝΟΡΤΥΧαορικν",
    "ABEKMHOPCTXYIJSdaeopcyxijshlqwkABEZHIKMNOPTYXaopikv",
)
_LATIN = re.compile(r"[A-Za-z]")


def _fold_mixed(m: re.Match) -> str:
    word = m.group()
    return word.translate(_CONFUSABLE) if _LATIN.search(word) else word


def clean(text: str) -> str:
    """Remove control/format characters and ANSI escapes; collapse whitespace; fold look-alike letters."""
    # invisible characters can hide instructions or fake text direction, and mean nothing in a question
    text = unicodedata.normalize("NFKC", strip_controls(normalize(text)))
    text = re.sub(r"\w+", _fold_mixed, text)
    return re.sub(r"\s+", " ", text).strip()


def validate(question, max_chars: int = 1000) -> str:
    """Return the cleaned question or raise BadQuestion with a message for the reader."""
    if not isinstance(question, str):
        raise BadQuestion("The question must be text.")
    if len(question) > max_chars:
        raise BadQuestion(f"Questions are limited to {max_chars} characters; this one has {len(question)}.")
    q = clean(question)
    if not q or not any(ch.isalnum() for ch in q):
        raise BadQuestion("Please type a question.")
    return q


MAX_TOP_K = 50  # a request for more passages than this is refused, not slowly answered


def validate_top_k(top_k) -> int | None:
    """None (use the configured value) or a whole number from 1 to MAX_TOP_K."""
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise BadQuestion(f"top_k must be a whole number from 1 to {MAX_TOP_K}.")
    return top_k


def parse_history(raw, max_turns: int = 20, max_chars: int = 4000) -> list[Turn]:
    """Accept turns as Turn, {"question","answer"}, {"q","a"}, or chat messages {"role","content"}."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadQuestion("history must be a list of previous turns.")
    turns: list[Turn] = []
    pending_q = None
    for item in raw[-2 * max_turns:]:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, dict) and "role" in item:
            content = item.get("content")
            content = content if isinstance(content, str) else ""
            if item["role"] == "user":
                if pending_q is not None:
                    turns.append(Turn(pending_q))
                pending_q = clean(content)[:max_chars]
            elif item["role"] == "assistant" and pending_q is not None:
                turns.append(Turn(pending_q, clean(content)[:max_chars]))
                pending_q = None
        elif isinstance(item, dict):
            q = item.get("question", item.get("q"))
            a = item.get("answer", item.get("a", ""))
            if not isinstance(q, str) or not isinstance(a, (str, type(None))):
                raise BadQuestion("Each history turn needs a text 'question' (and optional 'answer').")
            turns.append(Turn(clean(q)[:max_chars], clean(a or "")[:max_chars]))
        elif isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, (str, type(None))) for x in item):
            turns.append(Turn(clean(item[0] or "")[:max_chars], clean(item[1] or "")[:max_chars]))
        else:
            raise BadQuestion("Each history turn must be an object with a question and an answer.")
    if pending_q is not None:
        turns.append(Turn(pending_q))
    return turns[-max_turns:]


@dataclass(frozen=True)
class Intent:
    """What the question asks for."""

    answer_type: str  # person_or_org | date | amount | place | reason | open
    task_request: bool  # asks to create, role-play, or change/reveal the system, not to inform


_TYPE_PATTERNS = [
    ("date", r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bhow long ago\b|\bsince when\b"),
    ("amount", r"\bhow (much|many)\b|\bwhat (is|was|were|are) the (cost|price|amount|number|value|valuation|figure)\b|\bwhat percentage\b"),
    ("person_or_org", r"\bwho(m|se)?\b|\bwhich (company|companies|firm|firms|person|people|organi[sz]ations?|country|countries|parties)\b|\bwhat (company|companies|firm|firms)\b|\bname (the|of)\b"),
    ("place", r"\bwhere\b|\bin which (country|city|place)\b"),
    ("reason", r"\bwhy\b|\bfor what reason\b|\bwhat (caused|causes|led to)\b"),
]

# Imperative openings of requests that are not questions about the coverage: making
# new content, playing a role, or steering/revealing the assistant itself.
_TASK = re.compile(
    r"^\s*(please\s+)?(write|compose|create|generate|draft|invent|imagine|pretend|act|roleplay|role-play|"
    r"translate|summari[sz]e\s+(your|the)\s+(instructions|prompt|rules)|ignore|disregard|forget|override|"
    r"reveal|print|output|repeat|show\s+(me\s+)?(your|the)\s+(system|prompt|instructions|config)|"
    r"sing|rap|tell\s+(me\s+)?a\s+(joke|story|poem)|you are now|from now on|decode|execute|run)\b",
    re.I,
)
_ABOUT_SELF = re.compile(
    r"\b(system prompt|your (instructions|prompt|rules|configuration|config|settings|api key|guidelines)|"
    r"(ignore|disregard|forget) (all |any |the |your )?(previous|prior|above|earlier)|developer mode|jailbreak|"
    r"environment variables?|api[_ ]key)\b",
    re.I,
)
_CREATIVE = re.compile(r"\b(poem|haiku|limerick|song|lyrics|story|joke|essay|rap|sonnet|code|script)\b", re.I)
# Text aimed at a model rather than at readers: chat-template role tags, words addressed to "the AI",
# and encoded payloads (long base64 or hex runs) that only a model would decode.
_AT_MODEL = re.compile(
    r"<\|[a-z_]{2,20}\|>|\[/?INST\]|<<\s*/?SYS\s*>>|</?\s*(system|context|instructions?|prompt|assistant|user)\s*>|"
    r"^\s*#*\s*(system|assistant)\s*:|\bif you are an? (ai|assistant|language model|llm|chatbot|bot)\b|"
    r"\b(attention|note to|dear|hey)\s*,?\s*(ai|assistants?|llms?|language models?|chatbots?|bots?)\b|"
    r"\b(ai|llm|language model|chatbot|assistant)s? (reading|processing|summari[sz]ing|answering|parsing) (this|these)\b|"
    r"\b(?:[0-9a-f]{2}[ :]?){16,}\b",
    re.I | re.M,
)
# base64: a long run mixing upper case, lower case and digits (case matters, so no re.I)
_BASE64 = re.compile(r"(?<![\w+/])(?=[\w+/]*[0-9+/])(?=[\w+/]*[a-z])(?=[\w+/]*[A-Z])[A-Za-z0-9+/]{28,}={0,2}")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)


def aimed_at_model(text: str) -> bool:
    """Instructions, role tags or encoded payloads meant for an AI, in a question or an article."""
    return bool(_ABOUT_SELF.search(text) or _AT_MODEL.search(text) or _BASE64.search(_URL.sub(" ", text)))


def intent(question: str) -> Intent:
    q = question.lower()
    answer_type = "open"
    for name, pattern in _TYPE_PATTERNS:
        if re.search(pattern, q):
            answer_type = name
            break
    task = bool(_TASK.search(question) or aimed_at_model(question)
                or (_CREATIVE.search(question) and re.search(r"\b(write|compose|make|give me|create|generate)\b", q)))
    return Intent(answer_type, task)

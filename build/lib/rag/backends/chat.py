"""What every language-model backend shares: the prompts, the draft, and condensing follow-ups.

A model backend subclasses `ChatBackend` and writes one method, `chat`, that
streams the reply to a list of chat messages. Prompts are data files in
`rag/prompts/`; passages go in before the question so a local model can reuse
the cached prompt prefix.
"""
from __future__ import annotations

import logging
import re
from abc import abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from ..question import condense as heuristic_condense
from ..sanitize import strip_markers
from ..text import STOPWORDS, content_terms, hard_facts
from ..types import Chunk, Turn
from . import Backend, Request

log = logging.getLogger("rag")

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
CONDENSE_MAX_TOKENS = 64


@dataclass(frozen=True)
class Prompt:
    """A system message and a user message template with {placeholders}."""

    system: str
    user: str

    def messages(self, **values: str) -> list[dict]:
        # One pass over the template, not str.format or chained replaces: article text may hold
        # braces or "{question}" and must stay literal.
        user = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), self.user)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    """Read rag/prompts/NAME.txt: comment lines, then a [system] section and a [user] section."""
    text = (PROMPTS / f"{name}.txt").read_text(encoding="utf-8")
    body = text[text.index("[system]\n"):]
    system, _, user = body[len("[system]\n"):].partition("\n[user]\n")
    return Prompt(system.strip(), user.strip())


_TAG = re.compile(r"</?\s*(passage|conversation)\b[^>]*>", re.I)


def quote_passages(passages: list[Chunk]) -> str:
    """Numbered passages as quoted data; a tag inside an article cannot end its block early."""
    blocks = []
    for n, ch in enumerate(passages, 1):
        title = _TAG.sub(" ", ch.title).replace('"', "'")
        blocks.append(f'<passage n="{n}" title="{title}">\n{_TAG.sub(" ", ch.text)}\n</passage>')
    return "\n\n".join(blocks)


class ChatBackend(Backend):
    """A backend that drafts with a chat model; subclasses write `chat` only."""

    generative = True

    @abstractmethod
    def chat(self, messages: list[dict], max_tokens: int, cites: int = 0) -> Iterator[str]:
        """Stream the model's reply in pieces; raise BackendError on any failure.

        `cites` > 0 means the reply is an answer citing passages 1..cites; a backend that
        can constrain its output (a grammar) may use it to enforce the "sentence [n]" form.
        """

    def generate(self, request: Request) -> Iterator[str]:
        messages = load_prompt("answer").messages(passages=quote_passages(request.passages),
                                                  question=request.query)
        yield from without_reasoning(self.chat(messages, self.settings.max_tokens, cites=len(request.passages)))

    def condense(self, question: str, history: list[Turn]) -> str:
        """Ask the model for a standalone question; keep it only if it invents no names or numbers."""
        if not history:
            return question
        lines = []
        for t in history[-3:]:
            lines.append(f"Reader: {t.question}")
            if t.answer:
                lines.append("Assistant: " + strip_markers(t.answer)[:600])
        conversation = _TAG.sub(" ", "\n".join(lines))
        reply = "".join(without_reasoning(self.chat(
            load_prompt("condense").messages(conversation=conversation, question=question), CONDENSE_MAX_TOKENS)))
        rewrite = _first_line(reply)
        problem = _rewrite_problem(rewrite, question, history)
        if problem:
            log.info("kept the follow-up heuristic: the model's standalone question %s", problem)
            return heuristic_condense(question, history)
        return rewrite


_OPEN = re.compile(r"<\s*(think|thinking|reasoning)\s*>", re.I)
_CLOSE = {"think": re.compile(r"<\s*/\s*think\s*>", re.I), "thinking": re.compile(r"<\s*/\s*thinking\s*>", re.I),
          "reasoning": re.compile(r"<\s*/\s*reasoning\s*>", re.I)}
_HOLD = 16  # the longest tag we look for, so a tag split across two streamed pieces is still seen


def without_reasoning(pieces: Iterator[str]) -> Iterator[str]:
    """The reply without reasoning blocks (`<think>…</think>`, as reasoning models such as DeepSeek-R1 or
    Qwen3 write them), while streaming: nothing inside a block is passed on, and an unterminated block
    is dropped to the end. It runs before anything is parsed, so reasoning never becomes a draft sentence."""
    buf, inside = "", None
    for piece in pieces:
        buf += piece
        while True:
            if inside:
                m = _CLOSE[inside].search(buf)
                if not m:
                    buf = buf[-_HOLD:]  # keep only what could be the start of the closing tag
                    break
                buf, inside = buf[m.end():], None
            else:
                m = _OPEN.search(buf)
                if m:
                    if m.start():
                        yield buf[:m.start()]
                    buf, inside = buf[m.end():], m.group(1).lower()
                    continue
                lt = buf.rfind("<")
                cut = lt if lt >= 0 and len(buf) - lt < _HOLD else len(buf)
                if cut:
                    yield buf[:cut]
                buf = buf[cut:]
                break
    if buf and not inside:
        yield buf


def _first_line(reply: str) -> str:
    line = next((ln for ln in reply.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^\s*(standalone|rewritten)?\s*question\s*:\s*", "", line, flags=re.I)
    return line.strip().strip('"“”').strip()


def _rewrite_problem(rewrite: str, question: str, history: list[Turn]) -> str:
    """Why a model's rewrite of a follow-up may not be used for retrieval ('' when it is fine)."""
    if not rewrite or len(rewrite) > 2 * len(question) + 200:
        return "was empty or too long"
    context = " ".join(f"{t.question} {t.answer}" for t in history)
    allowed = hard_facts(f"{question} {context}")
    for kind, facts in hard_facts(rewrite).items():
        new = facts - allowed[kind] - STOPWORDS
        if new:
            return f"added {kind} not in the conversation ({', '.join(sorted(new)[:3])}): {rewrite[:120]!r}"
    asked, said = set(content_terms(question)), set(content_terms(rewrite))
    if asked and len(asked & said) < len(asked) / 2:
        return f"dropped most of the reader's words: {rewrite[:120]!r}"
    if not (said - asked) & set(content_terms(context)):
        return f"took nothing from the conversation: {rewrite[:120]!r}"
    return ""

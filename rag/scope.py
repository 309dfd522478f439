"""A chat scoped to one story: the article an embed's `?article=` names, that article's example
questions, and the notice an answer carries when it cites other coverage.

    doc_id = resolve(ref, known)                 # "" when the reference names no stored article
    examples = story_examples(article, sections)  # its FAQ questions, else questions from its headings
    answer.notice = with_notice(answer, doc_id)

Scoping prefers the story, it never hides the rest: retrieval gives the story's passages a bonus
(`Retriever.search(prefer_doc=)`), and an answer drawn partly from other articles says so.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .sanitize import canonical_url
from .types import Answer, StoredArticle

OTHER_COVERAGE = "This answer also draws on other coverage."
MAX_REF_CHARS = 2000  # a URL longer than this is not one of ours: no lookup
STORY_EXAMPLES = 4  # questions drawn from headings; an FAQ gives all of its own (up to the page's limit)
# Sections that are not headings a reader would ask about (rag.loaders.draft names them).
_NOT_HEADINGS = {"", "title", "dek", "lead", "faq"}
_TRAILING = re.compile(r"[\s:;,.?!\u2014\u2013-]+$")
_ASKING = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "is", "are", "was", "were",
           "will", "can", "could", "should", "does", "do", "did", "has", "have"}


def resolve(ref: str, known: Callable[[str], bool]) -> str:
    """The doc_id `ref` names: an article id as stored, or a URL whose canonical form is one (tracking
    parameters, fragment and case of the host do not matter); "" for anything else. `known(doc_id)`
    says whether the store holds that article."""
    ref = (ref or "").strip() if isinstance(ref, str) else ""
    if not ref or len(ref) > MAX_REF_CHARS or not _encodable(ref):
        return ""
    if known(ref):
        return ref
    url = canonical_url(ref)
    return url if url and url != ref and known(url) else ""


def _encodable(text: str) -> bool:
    try:  # a lone surrogate (JSON can carry one) is no article id, and ids are hashed as UTF-8
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def story_examples(article: StoredArticle, sections: Iterable[str], limit: int = 8) -> list[str]:
    """Example questions about one story: its FAQ questions when it has an FAQ, else one question per
    heading, in article order (see `_question`). Empty when it has neither."""
    faq = list(dict.fromkeys(p.question for p in article.faq))
    if faq:
        return faq[:limit]
    out = []
    for s in dict.fromkeys(sections):
        heading = _TRAILING.sub("", s.strip())
        if s.strip().casefold() in _NOT_HEADINGS or not heading or heading.casefold() == article.title.casefold():
            continue
        out.append(_question(heading, s.strip().endswith("?")))
    return out[:min(limit, STORY_EXAMPLES)]


def _question(heading: str, asked: bool) -> str:
    """A heading as a reader's question: one that asks ("Who pays", "What changes for ferries?") as
    written; any other as "What does the story say about the context?"."""
    first, _, rest = heading.partition(" ")
    if asked or first.casefold() in _ASKING:
        return f"{heading}?"
    if first in ("The", "A", "An") and rest:  # "The Context" reads as a name otherwise
        heading = f"{first.lower()} {rest}"
    return f"What does the story say about {heading}?"


def with_notice(answer: Answer, doc_id: str) -> str:
    """The answer's notice, with OTHER_COVERAGE added when a scoped answer cites another article."""
    if not doc_id or answer.refused or all(c.doc_id == doc_id for c in answer.citations):
        return answer.notice
    return f"{answer.notice} {OTHER_COVERAGE}".strip() if OTHER_COVERAGE not in answer.notice else answer.notice

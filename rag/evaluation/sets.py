"""Eval items: the FAQ pairs of the stored articles, plus the hand-written sets in `evals/*.yaml`.

The FAQ set is never copied by hand: it is read from the store the eval just
built (the loader's `Article.faq`, kept as `StoredArticle.faq`), so a changed
FAQ is evaluated as it now stands. A hand-written file names the article it was
written from (`article:`, its URL or path in the corpus); its items apply only
when that article is in the corpus being evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError

SETS = ("answerable", "unanswerable", "adversarial", "conversations")
KINDS = ("faq", "answerable", "unanswerable", "adversarial", "conversation")
EXPECT = ("answer", "refuse", "safe")  # safe: refused, or answered from the corpus only
_DEFAULT_EXPECT = {"answerable": "answer", "unanswerable": "refuse", "adversarial": "refuse",
                   "conversations": "answer"}


@dataclass(frozen=True)
class Item:
    """One question to ask, and what a good answer looks like."""

    id: str
    kind: str  # one of KINDS
    question: str
    expect: str = "answer"  # one of EXPECT
    history: tuple[str, ...] = ()  # earlier questions of a conversation, asked first, in order
    reference: str = ""  # faq: the editor's answer
    facts: tuple[tuple[str, ...], ...] = ()  # each fact: accepted variants
    forbidden: tuple[str, ...] = ()  # strings that must never appear in the output
    doc_id: str = ""  # the article it is about ("" = any corpus)
    why: str = ""  # the kind of trap (unanswerable, adversarial) or a note
    source: str = ""  # where the item came from (file, or the article for faq)


def slug(text: str, limit: int = 40) -> str:
    base = re.sub(r"\.(md|markdown|txt|html?|jsonl?)$", "", text.rsplit("/", 1)[-1] or text)
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:limit] or "article"


def faq_items(articles) -> list[Item]:
    """One item per FAQ pair of each stored article, in article order."""
    out = []
    for a in sorted(articles, key=lambda a: a.doc_id):
        for i, pair in enumerate(a.faq, 1):
            out.append(Item(id=f"faq-{slug(a.doc_id)}-{i}", kind="faq", question=pair.question,
                            reference=pair.answer, doc_id=a.doc_id, source=a.path or a.doc_id))
    return out


def load_sets(folder: Path, doc_ids: set[str]) -> tuple[list[Item], list[str]]:
    """The hand-written items that apply to a corpus holding `doc_ids`, and notes on files skipped."""
    import yaml

    items: list[Item] = []
    notes: list[str] = []
    for name in SETS:
        path = folder / f"{name}.yaml"
        if not path.is_file():
            notes.append(f"{path}: not found, set skipped")
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise RagError(f"{path} is not valid YAML ({e}). Fix the file and run rag eval again.") from None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise RagError(f"{path} must be a mapping with an 'items:' list (see README, Evals).")
        article = str(data.get("article") or "")
        if article and article not in doc_ids:
            notes.append(f"{path.name}: written for {article}, which is not in this corpus; skipped")
            continue
        for n, raw in enumerate(data["items"], 1):
            items.append(_item(raw, name, article, f"{path} item {n}"))
    seen: dict[str, str] = {}
    for it in items:
        if it.id in seen:
            raise RagError(f"eval item id {it.id!r} is used twice ({seen[it.id]} and {it.source}); ids must be unique.")
        seen[it.id] = it.source
    return items, notes


def _item(raw, set_name: str, article: str, where: str) -> Item:
    if not isinstance(raw, dict):
        raise RagError(f"{where}: each item must be a mapping with at least 'id' and 'q'.")
    unknown = set(raw) - {"id", "q", "expect", "turns", "facts", "forbidden", "why"}
    if unknown:
        raise RagError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                       "use id, q, expect, turns, facts, forbidden, why.")
    item_id, q = raw.get("id"), raw.get("q")
    if not isinstance(item_id, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", item_id or ""):
        raise RagError(f"{where}: 'id' must be a word like ans-cost-1 (letters, digits, - _ .).")
    if not isinstance(q, str) or not q.strip():
        raise RagError(f"{where} ({item_id}): 'q' must be the question, as text.")
    expect = raw.get("expect", _DEFAULT_EXPECT[set_name])
    if expect not in EXPECT:
        raise RagError(f"{where} ({item_id}): 'expect' must be one of {', '.join(EXPECT)}.")
    facts = raw.get("facts") or []
    if not (isinstance(facts, list) and all(
            isinstance(f, (str, list)) and all(isinstance(v, str) and v.strip() for v in ([f] if isinstance(f, str) else f)) and f
            for f in facts)):
        raise RagError(f"{where} ({item_id}): 'facts' must be a list; each fact a text or a list of accepted variants.")
    turns = raw.get("turns") or []
    if not (isinstance(turns, list) and all(isinstance(t, str) and t.strip() for t in turns)):
        raise RagError(f"{where} ({item_id}): 'turns' must be a list of the earlier questions.")
    forbidden = raw.get("forbidden") or []
    if not (isinstance(forbidden, list) and all(isinstance(f, str) and f for f in forbidden)):
        raise RagError(f"{where} ({item_id}): 'forbidden' must be a list of texts.")
    if expect == "answer" and set_name in ("answerable", "conversations") and not facts:
        raise RagError(f"{where} ({item_id}): an answerable item needs 'facts' (what a good answer must say).")
    kind = "conversation" if set_name == "conversations" else set_name
    return Item(id=item_id, kind=kind, question=q.strip(), expect=expect, history=tuple(t.strip() for t in turns),
                facts=tuple(tuple([f] if isinstance(f, str) else f) for f in facts), forbidden=tuple(forbidden),
                doc_id=article, why=str(raw.get("why") or ""), source=where)

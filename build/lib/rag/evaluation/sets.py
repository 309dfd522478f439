"""Eval items: the FAQ pairs of the stored articles, plus the hand-written sets in `evals/*.yaml`,
or a news suite's single `questions.yaml` (evals/news/README.md).

The FAQ set is never copied by hand: it is read from the store the eval just
built (the loader's `Article.faq`, kept as `StoredArticle.faq`), so a changed
FAQ is evaluated as it now stands. A hand-written file names the article it was
written from (`article:`, its URL or path in the corpus); its items apply only
when that article is in the corpus being evaluated. A news suite's items name
their gold articles instead (`gold:` urls), and carry a split: `dev` items are
for building, `heldout` ones for final reports only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import RagError

SETS = ("answerable", "unanswerable", "adversarial", "conversations")
KINDS = ("faq", "answerable", "unanswerable", "adversarial", "conversation")
EXPECT = ("answer", "refuse", "safe")  # safe: refused, or answered from the corpus only
_DEFAULT_EXPECT = {"answerable": "answer", "unanswerable": "refuse", "adversarial": "refuse",
                   "conversations": "answer"}
NEWS_FILE = "questions.yaml"
NEWS_KINDS = ("factoid", "why", "how", "yesno", "list", "definition", "followup", "changed", "past", "near_miss")
SPLITS = ("dev", "heldout")
_FIELDS = ("id", "q", "expect", "turns", "facts", "forbidden", "why")
_NEWS_FIELDS = ("id", "q", "kind", "answer_type", "facts", "gold", "split", "expect", "why", "turns", "answer",
                "also_ok", "scope", "absent")


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
    # news suite only (questions.yaml)
    news_kind: str = ""  # one of NEWS_KINDS
    split: str = ""  # one of SPLITS
    gold: tuple[str, ...] = ()  # urls (= doc_ids) of every article that answers it
    answer_type: str = ""  # person, money, yesno, ...
    answer: str = ""  # yes | no, on yes/no items
    also_ok: tuple[str, ...] = ()  # what a good answer may add (a date)


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


def _item(raw, set_name: str, article: str, where: str, fields: tuple[str, ...] = _FIELDS) -> Item:
    if not isinstance(raw, dict):
        raise RagError(f"{where}: each item must be a mapping with at least 'id' and 'q'.")
    unknown = set(raw) - set(fields)
    if unknown:
        raise RagError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; use {', '.join(fields)}.")
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


def load_news(folder: Path, split: str = "dev") -> list[Item]:
    """A news suite's items (`questions.yaml`) of one split (`dev`, `heldout` or `all`).

    `expect: refuse` makes an unanswerable item, `turns` a conversation, the rest
    are answerable; the news fields (kind, split, gold, ...) are kept on the item.
    """
    import yaml

    if split not in SPLITS + ("all",):
        raise RagError(f"split {split!r} is not one of {', '.join(SPLITS)}, all.")
    path = folder / NEWS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise RagError(f"{path} is not valid YAML ({e}). Fix the file and run rag eval again.") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise RagError(f"{path} must be a mapping with an 'items:' list (see evals/news/README.md).")
    items, seen = [], {}
    for n, raw in enumerate(data["items"], 1):
        it = _news_item(raw, f"{path} item {n}")
        if it.id in seen:
            raise RagError(f"eval item id {it.id!r} is used twice ({seen[it.id]} and {it.source}); ids must be unique.")
        seen[it.id] = it.source
        if split in ("all", it.split):
            items.append(it)
    return items


def _news_item(raw, where: str) -> Item:
    if isinstance(raw, dict) and "kind" in raw and raw.get("kind") not in NEWS_KINDS:
        raise RagError(f"{where} ({raw.get('id')}): 'kind' must be one of {', '.join(NEWS_KINDS)}.")
    set_name = "conversations" if isinstance(raw, dict) and raw.get("turns") else \
        "unanswerable" if isinstance(raw, dict) and raw.get("expect") == "refuse" else "answerable"
    base = _item(raw, set_name, "", where, _NEWS_FIELDS)
    where = f"{where} ({base.id})"
    if "kind" not in raw:
        raise RagError(f"{where}: 'kind' is missing; use one of {', '.join(NEWS_KINDS)}.")
    if raw.get("split") not in SPLITS:
        raise RagError(f"{where}: 'split' must be one of {', '.join(SPLITS)}.")
    answer = {True: "yes", False: "no"}.get(raw.get("answer"), raw.get("answer", ""))  # YAML reads yes as true
    if answer not in ("", "yes", "no"):
        raise RagError(f"{where}: 'answer' must be yes or no (the polarity of a yes/no item).")
    for name in ("gold", "also_ok", "scope"):
        value = raw.get(name) or []
        if not (isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)):
            raise RagError(f"{where}: '{name}' must be a list of texts.")
    absent = raw.get("absent") or []
    if not (isinstance(absent, list) and all(isinstance(a, list) and a and all(isinstance(t, str) and t for t in a)
                                             for a in absent)):
        raise RagError(f"{where}: 'absent' must be a list of term lists.")
    if not isinstance(raw.get("answer_type", ""), str):
        raise RagError(f"{where}: 'answer_type' must be a word like person, money or reason.")
    # scope and absent are for evals/news/check.py (the set's own consistency); the eval scores answers
    return replace(base, news_kind=raw["kind"], split=raw["split"], gold=tuple(raw.get("gold") or ()),
                   answer_type=raw.get("answer_type", ""), answer=answer,
                   also_ok=tuple(raw.get("also_ok") or ()))

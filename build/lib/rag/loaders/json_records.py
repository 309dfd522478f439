"""JSON and JSON Lines: one article per record (an object with a title and a body), many per file.

A bad record is skipped on its own; the others in the file are loaded.
"""
from __future__ import annotations

import json
import re

from ..text import normalize
from ..types import Article, Skipped
from .draft import DEK_KEYS, META_KEYS, Draft, Unreadable, finish, meta_from, meta_str, pick
from .html import load_html
from .markdown import parse_markdown

BODY_KEYS = ("body", "text", "content", "article_body", "articleBody", "body_text", "html", "content_html")


def load_json(text: str, rel: str, path: str) -> tuple[list[Article], list[Skipped]]:
    """A record, a list of records, or {"articles": [records]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return [], [Skipped(path, f"invalid JSON ({e.msg} at line {e.lineno})")]
    except RecursionError:
        return [], [Skipped(path, "JSON too deeply nested")]
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    items = data if isinstance(data, list) else [data]
    return _articles([(f"item {i}", obj) for i, obj in enumerate(items, 1)], rel, path, [])


def load_jsonl(text: str, rel: str, path: str) -> tuple[list[Article], list[Skipped]]:
    """One record a line."""
    records: list[tuple[str, object]] = []
    skipped: list[Skipped] = []
    for i, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                records.append((f"line {i}", json.loads(line)))
            except (json.JSONDecodeError, RecursionError) as e:
                skipped.append(Skipped(f"{path}:{i}", f"invalid JSON ({getattr(e, 'msg', 'too deeply nested')})"))
    return _articles(records, rel, path, skipped)


def _articles(records: list[tuple[str, object]], rel: str, path: str,
              skipped: list[Skipped]) -> tuple[list[Article], list[Skipped]]:
    """Each record is named by its URL, else its "id", else its place in the file."""
    articles = []
    for where, obj in records:
        try:
            draft = _record(obj, where)
        except Unreadable as e:
            skipped.append(Skipped(path, str(e)))
            continue
        except RecursionError:
            skipped.append(Skipped(path, f"{where}: too deeply nested"))
            continue
        rid = meta_str(obj.get("id")) if isinstance(obj, dict) else ""
        articles.append(finish(draft, f"{rel}#{rid}" if rid else f"{rel}#{where.split()[-1]}", path))
    return articles, skipped


def _record(obj: dict, where: str) -> Draft:
    if not isinstance(obj, dict):
        raise Unreadable(f"{where}: expected an object with title and body, got {type(obj).__name__}")
    body = next((obj[k] for k in BODY_KEYS if isinstance(obj.get(k), (str, list))), None)
    if isinstance(body, list):
        body = "\n\n".join(meta_str(x) for x in body)
    if not body or not str(body).strip():
        raise Unreadable(f"{where}: no body/text field")
    body = normalize(str(body))
    if re.search(r"<(p|div|h[1-6]|br|article)\b", body, re.I):
        draft = load_html(body)
    else:
        draft = Draft()
        parse_markdown(body, draft)
    draft.title = pick(obj, ("title", "headline", "name")) or draft.title
    draft.dek = pick(obj, DEK_KEYS) or draft.dek
    meta = meta_from(obj)
    draft.meta = {k: meta.get(k) or draft.meta.get(k, "") for k in META_KEYS}
    return draft

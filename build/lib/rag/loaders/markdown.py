"""Markdown with optional YAML front matter (title, dek, url, dates, byline)."""
from __future__ import annotations

import re

from .draft import DEK_KEYS, Draft, Unreadable, meta_from, one_article, pick

SUFFIXES = (".md", ".markdown")


def _inline(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images: keep alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links: keep link text
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return text


def parse_markdown(text: str, draft: Draft) -> None:
    """Body markdown into blocks: #-headings, paragraphs, > quotes, list items."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.rstrip() for ln in para.strip("\n").split("\n") if ln.strip()]
        if not lines:
            continue
        buf: list[str] = []
        for ln in lines:
            h = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", ln)
            if h:
                if buf:
                    draft.add("paragraph", _inline(" ".join(buf)))
                    buf = []
                draft.add("heading", _inline(h.group(2)))
                continue
            ln = re.sub(r"^\s{0,3}>\s?", "", ln)
            if re.match(r"^\s*([-*+]|\d+[.)])\s+", ln) and buf:
                draft.add("paragraph", _inline(" ".join(buf)))
                buf = []
            if re.fullmatch(r"\s*([-*_]\s*){3,}", ln):
                continue
            buf.append(ln.strip())
        if buf:
            draft.add("paragraph", _inline(" ".join(buf)))


def load_markdown(text: str) -> Draft:
    draft = Draft()
    m = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*(\n|$)", text, re.S)
    if m:
        import yaml

        try:
            front = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as e:
            raise Unreadable(f"front matter is not valid YAML ({str(e).splitlines()[0]})") from None
        if not isinstance(front, dict):
            raise Unreadable("front matter is not a mapping of fields")
        draft.title = pick(front, ("title", "headline"))
        draft.dek = pick(front, DEK_KEYS)
        draft.meta = meta_from(front)
        text = text[m.end():]
    parse_markdown(text, draft)
    if not draft.title and draft.parts and draft.parts[0][0] == "heading":
        draft.title = draft.parts.pop(0)[1]
    return draft


load = one_article(load_markdown)

"""Plain text: the first line is the title; paragraphs split on blank lines, or on lines."""
from __future__ import annotations

import re

from .draft import Draft, Unreadable, one_article

SUFFIXES = (".txt",)


def load_txt(text: str) -> Draft:
    draft = Draft()
    lines = [ln.strip() for ln in text.split("\n")]
    first = next((i for i, ln in enumerate(lines) if ln), None)
    if first is None:
        raise Unreadable("empty file (only whitespace)")
    head = lines[first]
    if len(head) <= 200 and len([ln for ln in lines if ln]) > 1:
        draft.title = head
        lines = lines[first + 1:]
    paras = re.split(r"\n\s*\n", "\n".join(lines))
    by_line = len(paras) <= 2 and sum(1 for ln in lines if ln) > 3
    units = [ln for ln in lines if ln] if by_line else [" ".join(p.split("\n")).strip() for p in paras]
    for unit in units:
        draft.add("heading" if _looks_like_heading(unit) else "paragraph", unit)
    return draft


def _looks_like_heading(line: str) -> bool:
    ws = line.split()
    return (0 < len(ws) <= 6 and line[-1] not in ".!?,;:\"”'’" and line[0].isupper()
            and sum(w[0].isupper() for w in ws if w[0].isalpha()) >= max(1, len(ws) // 2))


load = one_article(load_txt)

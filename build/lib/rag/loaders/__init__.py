"""Load article files (.md, .txt, .html, .json, .jsonl) into `Article`s.

A loader never drops article text: title and dek become part of the searchable
text, and every paragraph keeps its words verbatim. A file that cannot be used
becomes a `Skipped` with a one-line reason; loading goes on.

    draft.py         Draft -> Article (offsets, FAQ pairs, cleaning), metadata fields
    files.py         which files count; reading and decoding within the size limit
    markdown.py      .md with YAML front matter
    txt.py           plain text
    html.py          web pages
    json_records.py  JSON / JSON Lines records, many articles per file

A new format is a module with a `load(text, rel, path) -> (articles, skipped)` (for one
article per file: `draft.one_article(parse)`) and a line in FORMATS.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..sanitize import safe_url, strip_invisible  # noqa: F401 - importable from here, as before
from ..types import Article, Skipped
from . import html, json_records, markdown, txt
from .draft import Draft, Loader, Unreadable  # noqa: F401
from .files import read_text, walk

FORMATS: dict[str, Loader] = {
    **{s: markdown.load for s in markdown.SUFFIXES},
    **{s: txt.load for s in txt.SUFFIXES},
    **{s: html.load for s in html.SUFFIXES},
    ".json": json_records.load_json,
    ".jsonl": json_records.load_jsonl,
}
SUFFIXES = frozenset(FORMATS)


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def iter_files(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[Skipped]]:
    """Expand folders into (root, file) pairs of the formats above; symlinks must stay inside their root."""
    return walk(paths, SUFFIXES)


def load_file(root: Path, path: Path, max_bytes: int) -> tuple[list[Article], list[Skipped]]:
    """Load one file; JSON/JSONL may hold many articles, each skipped on its own."""
    rel = path.relative_to(root).as_posix() if path != root else path.name
    try:
        text = read_text(path, max_bytes)
    except Unreadable as e:
        return [], [Skipped(str(path), str(e))]
    except OSError as e:
        return [], [Skipped(str(path), f"cannot read ({e.strerror or e})")]
    try:
        return FORMATS[path.suffix.lower()](text, rel, str(path.resolve()))
    except Unreadable as e:
        return [], [Skipped(str(path), str(e))]
    except RecursionError:
        return [], [Skipped(str(path), "too deeply nested to parse")]


def load_corpus(paths: list[Path], max_bytes: int = 20_000_000) -> LoadResult:
    """Load every article under `paths`; duplicates of an article id are skipped."""
    files, skipped = iter_files(paths)
    result = LoadResult(skipped=skipped)
    seen: dict[str, str] = {}
    for root, f in files:
        arts, skips = load_file(root, f, max_bytes)
        result.skipped.extend(skips)
        for a in arts:
            if a.doc_id in seen:
                result.skipped.append(Skipped(a.path, f"duplicate article id {a.doc_id} (also in {seen[a.doc_id]})"))
                continue
            seen[a.doc_id] = a.path
            result.articles.append(a)
    return result

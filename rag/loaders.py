"""Load article files (.md, .txt, .html, .json, .jsonl) into `Article`s.

A loader never drops article text: title and dek become part of the searchable
text, and every paragraph keeps its words verbatim. A file that cannot be used
becomes a `Skipped` with a one-line reason; loading goes on.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .text import normalize
from .types import Article, Block, QAPair, Skipped

SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl"}
_FAQ_HEADING = re.compile(r"^\s*(frequently asked questions|faqs?|questions and answers|q\s*&\s*a)\s*:?\s*$", re.I)


class Unreadable(Exception):
    """Raised inside a loader; becomes a Skipped reason."""


# --------------------------------------------------------------------------- building


@dataclass
class _Draft:
    """An article being assembled: blocks of (kind, text) in reading order."""

    title: str = ""
    dek: str = ""
    meta: dict = field(default_factory=dict)
    parts: list[tuple[str, str]] = field(default_factory=list)  # (kind, text): heading|paragraph|question

    def add(self, kind: str, text: str) -> None:
        text = text.strip()
        if text:
            self.parts.append((kind, text))


def _build(draft: _Draft, doc_id: str, path: str) -> Article:
    """Lay title, dek and blocks out as one text and record every offset."""
    # Escapes in JSON, YAML and HTML (\\u202e, &#x202e;) decode after the file-level cleaning: clean again.
    draft.parts = [(kind, t.strip()) for kind, t in ((k, strip_invisible(x)) for k, x in draft.parts) if t.strip()]
    title = _one_line(strip_invisible(draft.title)) or Path(path).stem.replace("-", " ").replace("_", " ").strip() or doc_id
    pieces: list[str] = []
    blocks: list[Block] = []
    faq: list[QAPair] = []
    pos = 0

    def emit(text: str, section: str, kind: str) -> int:
        nonlocal pos
        if pieces:
            pieces.append("\n\n")
            pos += 2
        start = pos
        pieces.append(text)
        pos += len(text)
        blocks.append(Block(start, pos, section, kind))
        return start

    emit(title, "title", "title")
    dek = _one_line(strip_invisible(draft.dek))
    if dek:
        emit(dek, "dek", "dek")
    section, in_faq = "lead", False
    question: tuple[str, int] | None = None
    answer: list[tuple[str, int]] = []

    def close_pair() -> None:
        nonlocal question, answer
        if question and answer:
            faq.append(QAPair(question[0], " ".join(a for a, _ in answer), question[1], answer[0][1]))
        question, answer = None, []

    for kind, text in draft.parts:
        if kind == "heading" and not (in_faq and text.rstrip().endswith("?")):
            close_pair()
            in_faq = bool(_FAQ_HEADING.match(text))
            section = "faq" if in_faq else _one_line(text)[:120]
            emit(text, section, "heading")
        elif in_faq and text.rstrip().endswith("?") and len(text) < 400:
            close_pair()
            question = (text, emit(text, "faq", "faq"))
        elif in_faq:
            start = emit(text, "faq", "faq")
            if question:
                answer.append((text, start))
        else:
            emit(text, section, "paragraph")
    close_pair()
    m = {k: strip_invisible(v) for k, v in draft.meta.items()}
    return Article(
        doc_id=doc_id,
        title=title,
        text="".join(pieces),
        blocks=tuple(blocks),
        url=m.get("url", ""),
        published=m.get("published", ""),
        updated=m.get("updated", ""),
        byline=m.get("byline", ""),
        source=m.get("source", ""),
        dek=dek,
        path=path,
        faq=tuple(faq),
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _meta_str(value, depth: int = 0) -> str:
    """Flatten a metadata value (str, number, list, dict, None) into one line of at most 500 characters.

    Bounded in depth and items: YAML aliases can nest a list a billion items wide in a few lines.
    """
    if value is None or depth > 4:
        return ""
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for v in value[:20]:
            s = _meta_str(v, depth + 1)
            if s:
                out.append(s)
            if sum(len(x) + 2 for x in out) >= 500:
                break
        return ", ".join(out)[:500]
    if isinstance(value, dict):
        for key in ("name", "title", "text", "value", "url", "href"):
            if key in value:
                return _meta_str(value[key], depth + 1)
        return ""
    if not isinstance(value, (str, int, float, bool)) and not hasattr(value, "isoformat"):
        return ""  # sets, bytes and other YAML oddities carry no headline or date
    return _one_line(str(value)[:2000])[:500]


_META_KEYS = {
    "url": ("url", "link", "canonical_url", "canonical", "permalink", "href"),
    "published": ("published", "published_at", "publish_date", "date", "pubdate", "datePublished", "first_published"),
    "updated": ("updated", "updated_at", "modified", "dateModified", "last_modified"),
    "byline": ("byline", "author", "authors", "by", "creator"),
    "source": ("source", "publisher", "publication", "outlet", "site_name"),
}
_DEK_KEYS = ("dek", "summary", "description", "subtitle", "subhead", "standfirst", "excerpt", "abstract")
_BODY_KEYS = ("body", "text", "content", "article_body", "articleBody", "body_text", "html", "content_html")


def _pick(obj: dict, keys) -> str:
    for k in keys:
        if k in obj and _meta_str(obj[k]):
            return _meta_str(obj[k])
    return ""


def _meta_from(obj: dict) -> dict:
    return {name: _pick(obj, keys) for name, keys in _META_KEYS.items()}


# --------------------------------------------------------------------------- reading


def read_text(path: Path, max_bytes: int) -> str:
    """Read and decode a file, or raise Unreadable with a reason a person understands."""
    size = path.stat().st_size
    if size == 0:
        raise Unreadable("empty file")
    if size > max_bytes:
        raise Unreadable(f"too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB limit, RAG_MAX_FILE_MB)")
    with open(path, "rb") as fh:
        # Look at the start before reading the rest: a binary file costs 8 KB, not its size.
        head = fh.read(8192)
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise Unreadable("binary file (NUL bytes), not text")
        raw = head + fh.read(max_bytes + 1 - len(head))  # never more than the cap, whatever stat said
    if len(raw) > max_bytes:
        raise Unreadable(f"too large (> {max_bytes / 1e6:.0f} MB limit, RAG_MAX_FILE_MB)")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise Unreadable("invalid UTF-16") from None
    else:
        if b"\x00" in raw[:8192]:
            raise Unreadable("binary file (NUL bytes), not text")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            text = _legacy_decode(raw)
            if text is None:
                raise Unreadable(f"not valid UTF-8 (byte {e.start}) and not Windows-1252 text") from None
    text = normalize(text)
    if _control_ratio(text) > 0.01:
        raise Unreadable("binary file (control characters), not text")
    text = strip_invisible(text)
    if not text.strip():
        raise Unreadable("empty file (only whitespace)")
    return text


# Characters that show nothing but can carry hidden instructions for a model (Unicode tag
# characters, variation-selector "smuggling"), reverse what a reader sees (bidi overrides),
# or drive a terminal (ANSI escapes, other control characters). News text needs none of them.
# Zero-width (non-)joiners and left/right-to-left marks stay: scripts and RTL quotes use them.
_ANSI = re.compile(r"\x1b\][^\x07\x1b]{0,512}(\x07|\x1b\\)|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")  # OSC, CSI, others
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u00ad\u200b\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\U000e0100-\U000e01ef]")


def strip_invisible(text: str) -> str:
    """Remove ANSI escapes, control characters and invisible formatting that can hide text."""
    return _INVISIBLE.sub("", _ANSI.sub("", text))


def safe_url(url: str) -> str:
    """An article link only if it is http(s): a javascript: or data: URL must never become a link."""
    from urllib.parse import urlsplit

    url = (url or "").strip()
    try:
        u = urlsplit(url)
    except ValueError:
        return ""
    return url if u.scheme.lower() in ("http", "https") and u.netloc and not re.search(r"\s", url) else ""


def _legacy_decode(raw: bytes) -> str | None:
    """Latin-1/Windows-1252 files are common in wire copy; accept them if they look like prose."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return text if non_ascii / max(len(text), 1) < 0.1 else None


def _control_ratio(text: str) -> float:
    bad = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\f")
    return bad / max(min(len(text), 20000), 1)


# --------------------------------------------------------------------------- formats


def _markdown_inline(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images: keep alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links: keep link text
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return text


def parse_markdown(text: str, draft: _Draft) -> None:
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
                    draft.add("paragraph", _markdown_inline(" ".join(buf)))
                    buf = []
                draft.add("heading", _markdown_inline(h.group(2)))
                continue
            ln = re.sub(r"^\s{0,3}>\s?", "", ln)
            if re.match(r"^\s*([-*+]|\d+[.)])\s+", ln) and buf:
                draft.add("paragraph", _markdown_inline(" ".join(buf)))
                buf = []
            if re.fullmatch(r"\s*([-*_]\s*){3,}", ln):
                continue
            buf.append(ln.strip())
        if buf:
            draft.add("paragraph", _markdown_inline(" ".join(buf)))


def load_markdown(text: str) -> _Draft:
    draft = _Draft()
    m = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*(\n|$)", text, re.S)
    if m:
        import yaml

        try:
            front = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as e:
            raise Unreadable(f"front matter is not valid YAML ({str(e).splitlines()[0]})") from None
        if not isinstance(front, dict):
            raise Unreadable("front matter is not a mapping of fields")
        draft.title = _pick(front, ("title", "headline"))
        draft.dek = _pick(front, _DEK_KEYS)
        draft.meta = _meta_from(front)
        text = text[m.end():]
    parse_markdown(text, draft)
    if not draft.title and draft.parts and draft.parts[0][0] == "heading":
        draft.title = draft.parts.pop(0)[1]
    return draft


def load_txt(text: str) -> _Draft:
    """Plain text: the first line is the title; paragraphs split on blank lines, or on lines."""
    draft = _Draft()
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


# Ways pages hide text from readers (and so hide instructions aimed at a model).
_HIDDEN_STYLE = re.compile(r"display:none|visibility:hidden|font-size:0(?![.\d]*[1-9])|opacity:0(?![.\d]*[1-9])"
                           r"|(left|top|text-indent):-\d{3,}")
_HIDDEN_CLASS = {"hidden", "d-none", "sr-only", "visually-hidden", "screen-reader-text", "invisible"}


class _HTMLText(HTMLParser):
    """Collects the main text and news metadata of a page; drops scripts and chrome."""

    SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside",
            "form", "button", "svg", "iframe", "object", "select", "head"}
    BLOCK = {"p", "li", "blockquote", "figcaption", "pre", "td", "dd", "dt", "div", "section", "article", "main", "br", "tr"}
    HEAD = {"h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.blocks: list[tuple[str, str, int]] = []  # (kind, text, region) region 1=article/main
        self._skip = 0
        self._in_title = False
        self._region = 0
        self._buf: list[str] = []
        self._kind = "paragraph"
        self._hidden_stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, a["content"])
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.meta.setdefault("canonical", a["href"])
            return
        if tag == "time" and a.get("datetime"):
            self.meta.setdefault("time", a["datetime"])
        if tag == "title":
            self._in_title = True
        hidden = "hidden" in a or a.get("aria-hidden") == "true" or bool(
            _HIDDEN_STYLE.search(a.get("style", "").replace(" ", "").lower())
            or _HIDDEN_CLASS & set(a.get("class", "").lower().split()))
        if tag in self.SKIP or hidden:
            if tag not in {"br", "img", "input", "hr", "meta", "link"}:
                self._skip += 1
                self._hidden_stack.append(tag)
            return
        if tag in ("article", "main"):
            self._region += 1
        if tag in self.HEAD or tag in self.BLOCK:
            self._flush()
            self._kind = "heading" if tag in self.HEAD else "paragraph"
        if tag == "img" and a.get("alt") and not self._skip:
            self._buf.append(" " + a["alt"] + " ")

    def handle_endtag(self, tag):
        if self._hidden_stack and tag == self._hidden_stack[-1]:
            self._hidden_stack.pop()
            self._skip -= 1
            return
        if tag == "title":
            self._in_title = False
        if tag in self.HEAD or tag in self.BLOCK:
            self._flush()
        if tag in ("article", "main") and self._region:
            self._flush()
            self._region -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._buf.append(data)

    def _flush(self):
        text = _one_line("".join(self._buf))
        if text:
            self.blocks.append((self._kind, text, 1 if self._region else 0))
        self._buf = []
        self._kind = "paragraph"


def load_html(text: str) -> _Draft:
    p = _HTMLText()
    try:
        p.feed(text)
        p.close()
    except (AssertionError, RecursionError) as e:  # pragma: no cover - html.parser is forgiving
        raise Unreadable(f"HTML could not be parsed ({e})") from None
    p._flush()
    main = [b for b in p.blocks if b[2]] or p.blocks
    m = p.meta
    draft = _Draft()
    draft.title = m.get("og:title") or m.get("twitter:title") or _one_line(p.title)
    h1 = next((t for k, t, _ in main if k == "heading"), "")
    if h1 and (not draft.title or h1 in draft.title):
        draft.title = h1
    draft.dek = m.get("description") or m.get("og:description") or ""
    draft.meta = {
        "url": m.get("og:url") or m.get("canonical") or "",
        "published": m.get("article:published_time") or m.get("datepublished") or m.get("date") or m.get("time") or "",
        "updated": m.get("article:modified_time") or m.get("datemodified") or "",
        "byline": m.get("author") or m.get("article:author") or m.get("byl") or "",
        "source": m.get("og:site_name") or "",
    }
    skipped_title = False
    for kind, t, _ in main:
        if not skipped_title and t == draft.title:
            skipped_title = True  # already the article's first line
            continue
        draft.add(kind, t)
    if not draft.parts:
        raise Unreadable("no article text found in the HTML")
    return draft


def _json_article(obj: dict, where: str) -> _Draft:
    if not isinstance(obj, dict):
        raise Unreadable(f"{where}: expected an object with title and body, got {type(obj).__name__}")
    body = next((obj[k] for k in _BODY_KEYS if isinstance(obj.get(k), (str, list))), None)
    if isinstance(body, list):
        body = "\n\n".join(_meta_str(x) for x in body)
    if not body or not str(body).strip():
        raise Unreadable(f"{where}: no body/text field")
    body = normalize(str(body))
    if re.search(r"<(p|div|h[1-6]|br|article)\b", body, re.I):
        draft = load_html(body)
    else:
        draft = _Draft()
        parse_markdown(body, draft)
    draft.title = _pick(obj, ("title", "headline", "name")) or draft.title
    draft.dek = _pick(obj, _DEK_KEYS) or draft.dek
    meta = _meta_from(obj)
    draft.meta = {k: meta.get(k) or draft.meta.get(k, "") for k in _META_KEYS}
    return draft


# --------------------------------------------------------------------------- entry points


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def iter_files(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[Skipped]]:
    """Expand folders into (root, file) pairs; symlinks must stay inside their root."""
    files: list[tuple[Path, Path]] = []
    skipped: list[Skipped] = []
    for given in paths:
        if not given.exists():
            skipped.append(Skipped(str(given), "no such file or folder"))
            continue
        root = given if given.is_dir() else given.parent
        real_root = root.resolve()
        candidates = sorted(p for p in given.rglob("*") if p.is_file() or p.is_symlink()) if given.is_dir() else [given]
        for f in candidates:
            rel = f.relative_to(root) if f != root else Path(f.name)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if f.is_symlink() and f.is_dir():
                skipped.append(Skipped(str(f), "symlinked folder, not followed"))
                continue
            if f.suffix.lower() not in SUFFIXES:
                skipped.append(Skipped(str(f), f"unsupported file type {f.suffix or '(none)'}"))
                continue
            try:
                real = f.resolve(strict=True)
            except (OSError, RuntimeError):  # dangling link, or a link loop
                skipped.append(Skipped(str(f), "broken or looping symlink"))
                continue
            if not real.is_relative_to(real_root):  # the file, or a folder on its way, links outside
                skipped.append(Skipped(str(f), "symlink points outside the corpus folder"))
                continue
            if not real.is_file():
                skipped.append(Skipped(str(f), "not a regular file"))
                continue
            files.append((root, f))
    return files, skipped


def load_file(root: Path, path: Path, max_bytes: int) -> tuple[list[Article], list[Skipped]]:
    """Load one file; JSON/JSONL may hold many articles, each skipped on its own."""
    rel = path.relative_to(root).as_posix() if path != root else path.name
    try:
        text = read_text(path, max_bytes)
    except Unreadable as e:
        return [], [Skipped(str(path), str(e))]
    except OSError as e:
        return [], [Skipped(str(path), f"cannot read ({e.strerror or e})")]
    suffix = path.suffix.lower()
    try:
        if suffix in (".json", ".jsonl"):
            return _load_records(text, rel, str(path.resolve()), suffix)
        draft = {".md": load_markdown, ".markdown": load_markdown, ".txt": load_txt,
                 ".html": load_html, ".htm": load_html}[suffix](text)
    except Unreadable as e:
        return [], [Skipped(str(path), str(e))]
    except RecursionError:
        return [], [Skipped(str(path), "too deeply nested to parse")]
    if not draft.parts and not draft.title:
        return [], [Skipped(str(path), "no article text found")]
    draft.meta["url"] = safe_url(draft.meta.get("url", ""))
    doc_id = draft.meta.get("url") or rel
    return [_build(draft, doc_id, str(path.resolve()))], []


def _load_records(text: str, rel: str, path: str, suffix: str) -> tuple[list[Article], list[Skipped]]:
    records: list[tuple[str, object]] = []
    skipped: list[Skipped] = []
    if suffix == ".jsonl":
        for i, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    records.append((f"line {i}", json.loads(line)))
                except (json.JSONDecodeError, RecursionError) as e:
                    skipped.append(Skipped(f"{path}:{i}", f"invalid JSON ({getattr(e, 'msg', 'too deeply nested')})"))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            return [], [Skipped(path, f"invalid JSON ({e.msg} at line {e.lineno})")]
        except RecursionError:
            return [], [Skipped(path, "JSON too deeply nested")]
        if isinstance(data, dict) and isinstance(data.get("articles"), list):
            data = data["articles"]
        items = data if isinstance(data, list) else [data]
        records = [(f"item {i}", obj) for i, obj in enumerate(items, 1)]
    articles = []
    for where, obj in records:
        try:
            draft = _json_article(obj, where)
        except Unreadable as e:
            skipped.append(Skipped(path, str(e)))
            continue
        except RecursionError:
            skipped.append(Skipped(path, f"{where}: too deeply nested"))
            continue
        rid = _meta_str(obj.get("id")) if isinstance(obj, dict) else ""
        draft.meta["url"] = safe_url(draft.meta.get("url", ""))
        doc_id = draft.meta.get("url") or (f"{rel}#{rid}" if rid else f"{rel}#{where.split()[-1]}")
        articles.append(_build(draft, doc_id, path))
    return articles, skipped


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

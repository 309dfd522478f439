"""Finding and reading corpus files: which files count, and their text decoded within the size limit.

Every refusal is an `Unreadable` (or a `Skipped`) with a reason a person understands.
"""
from __future__ import annotations

from pathlib import Path

from ..sanitize import strip_invisible
from ..text import normalize
from ..types import Skipped
from .draft import Unreadable


def walk(paths: list[Path], suffixes) -> tuple[list[tuple[Path, Path]], list[Skipped]]:
    """Expand folders into (root, file) pairs of files ending in one of `suffixes`;
    symlinks must stay inside their root."""
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
            if f.suffix.lower() not in suffixes:
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

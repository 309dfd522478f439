"""The embedded store's folder, beyond what Chroma keeps tidy itself: an unreadable store set
aside for a rebuild, and the index folders Chroma leaves behind when a collection is dropped."""
from __future__ import annotations

import re
import shutil
import sqlite3
import time
from pathlib import Path

from .chroma import forget_client
from .lock import LOCK_FILE

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def set_aside(path: Path | str) -> Path:
    """Move an unreadable store's files to a sibling folder (kept for inspection) so a rebuild starts clean.

    The writer lock file stays: the caller holds it.
    """
    path = Path(path)
    forget_client(path)
    dest = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    dest.mkdir()
    for f in path.iterdir():
        if f.name != LOCK_FILE:
            f.rename(dest / f.name)
    return dest


def sweep_segments(folder: Path) -> None:
    """Remove the index folders no segment of the database uses (those of dropped collections)."""
    try:
        with sqlite3.connect(f"file:{folder / 'chroma.sqlite3'}?mode=ro", uri=True) as con:
            used = {row[0] for row in con.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return  # an unknown layout: leave the folder alone
    for d in folder.iterdir():
        if d.is_dir() and _UUID.fullmatch(d.name) and d.name not in used:
            shutil.rmtree(d, ignore_errors=True)

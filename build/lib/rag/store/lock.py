"""The writer lock: one ingest at a time per store, a second one waits briefly and is then refused.

A store has one lock file. For an embedded store it sits in the store's folder; a
server store (RAG_CHROMA_URL) has no folder of ours, so its lock is named after the
URL in the temp folder, whatever RAG_STORE says: every process on this machine that
writes to that server takes the same file.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import DiskFull, StoreBusy, StoreReadOnly

LOCK_FILE = "ingest.lock"
_HELD: dict[tuple, list] = {}  # (lock path, thread) -> [open file, depth]: re-entrant within one thread


def lock_path(path: Path | str = "", url: str = "") -> Path:
    """Where the writer lock of a store lives."""
    if url:
        return Path(os.environ.get("TMPDIR", "/tmp")) / f"rag-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:20]}.lock"
    return Path(path) / LOCK_FILE


@contextmanager
def write_lock(path: Path, where: str, wait_s: float = 10.0):
    """Hold the store's writer lock: taken before Chroma is opened for writing, since two
    clients writing one Chroma folder can block each other for minutes."""
    key = (str(Path(path).resolve()), threading.get_ident())
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")
    except OSError as e:
        raise (DiskFull(where) if e.errno == errno.ENOSPC else StoreReadOnly(where)) from None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                fh.close()
                raise StoreBusy(where) from None
            time.sleep(0.2)
    _HELD[key] = [fh, 1]
    try:
        yield
    finally:
        del _HELD[key]
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()

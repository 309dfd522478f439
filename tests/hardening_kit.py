"""Helpers for the hardening tests: real CLI processes, synthetic corpora, peak memory of a child."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_WORDS = ("market regulators company shares investors court ruling budget council energy prices election "
          "voters hospital patients school teachers river flood bridge rail strike union wages harvest drought "
          "port freight tariff exports inflation mayor housing rent transit airport").split()


def env(**extra) -> dict:
    e = {**os.environ, "PYTHONUNBUFFERED": "1"}
    e.update({k: str(v) for k, v in extra.items()})
    return e


def rag(*args, extra_env: dict | None = None, input: str | None = None, timeout: float = 300):
    """Run the real `rag` command line in a fresh process."""
    return subprocess.run([sys.executable, "-m", "rag", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env=env(**(extra_env or {})), input=input, timeout=timeout)


def rag_process(*args, extra_env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    """Start `rag ...` in the background (stdout+stderr to `log`)."""
    out = open(log, "w") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "rag", *map(str, args)], cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT, env=env(**(extra_env or {})))


def run_measured(code: str, timeout: float = 300) -> tuple[int, str, str, int]:
    """Run Python `code` in a child; return (exit code, stdout, stderr, peak RSS in MB) from wait4."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=out, stderr=err, env=env())
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read(), err.read(), usage.ru_maxrss // 1024  # Linux reports KiB


def synthetic_corpus(folder: Path, n: int, seed: int = 7, paragraphs: int = 3, tag: str = "") -> Path:
    """`n` synthetic articles (clearly labelled synthetic) of a few paragraphs each."""
    r = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = []
        for _ in range(paragraphs):
            sents = [" ".join(r.choice(_WORDS) for _ in range(r.randint(8, 14))).capitalize()
                     + f" in district {r.randint(1, 999)}." for _ in range(4)]
            paras.append(" ".join(sents))
        (folder / f"synthetic-{i:04d}.md").write_text(
            f"---\ntitle: Synthetic story {i}{tag}\n---\n" + "\n\n".join(paras), encoding="utf-8")
    return folder


def store_state(store) -> dict:
    """What a crash may break: article records, pending marks, chunks per version, orphans, duplicates."""
    manifest = store.manifest()
    rows = store._chunks.get(include=["metadatas"])
    by_doc: dict[str, dict[str, int]] = {}
    for m in rows["metadatas"]:
        by_doc.setdefault(m["doc_id"], {}).setdefault(m["version"], 0)
        by_doc[m["doc_id"]][m["version"]] += 1
    orphans = {d: v for d, v in by_doc.items()
               if d not in manifest or set(v) - {manifest[d]["version"], manifest[d]["pending"]}}
    current = store.current_chunks()
    keys = [(c.doc_id, c.index) for _, c in current]
    return {"articles": len(manifest), "pending": sorted(d for d, m in manifest.items() if m["pending"]),
            "chunks": len(rows["ids"]), "current": len(current), "orphans": orphans,
            "duplicates": len(keys) - len(set(keys)), "ids_unique": len(set(rows["ids"])) == len(rows["ids"])}


def spawn_in(workdir: Path, store: Path, **env_extra):
    """`python ui.py` with `workdir` as its working folder (so relative paths like `.env` resolve there),
    not yet waited for (live_server.wait_all)."""
    from live_server import spawn_server

    (workdir / "data").mkdir(parents=True, exist_ok=True)
    return spawn_server(store, workdir, cwd=workdir, feedback=workdir / "data" / "feedback.sqlite3", **env_extra)


def start_in(workdir: Path, store: Path, timeout: float = 180, **env_extra):
    """spawn_in(), then wait until it answers."""
    from live_server import wait_all

    return wait_all([spawn_in(workdir, store, **env_extra)], timeout)[0]

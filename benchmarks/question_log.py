"""What the editors' question log adds to a served answer (issue 16: at most 1 ms at the median).

    python benchmarks/question_log.py                     # builds a store from corpus/ in a temp folder
    python benchmarks/question_log.py --store DIR --n 400 --http

1. `QuestionLog.record` alone: the only work on the request path (a queue put), per call;
2. in process: `Explainer.ask` + `record` with the log on (its writer thread writing to SQLite
   meanwhile) against the log off, call by call alternating, the answer cache off so every
   answer is computed; the median of the paired differences is the cost;
3. with --http: two `python ui.py` servers on one store, RAG_ANALYTICS=1 and =0, /api/ask
   alternating between them (noisier: two processes share the machine; --aa runs both with
   the log on, to show the noise floor of this comparison).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from api_latency import distinct_questions  # noqa: E402

from rag._testing import free_port, percentile, spawn, wait_ready  # noqa: E402


def stats(ms: list[float]) -> dict:
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p95_ms": round(percentile(ms, 95), 3)}


def store_dir(arg: str | None, work: Path) -> Path:
    if arg:
        return Path(arg)
    from rag.config import Settings
    from rag.embedding import Embedder
    from rag.ingest import ingest
    from rag.store import Store

    ingest([ROOT / "corpus"], Store.open(work / "store", create=True), Embedder.from_settings(Settings()),
           exclude_faq=False)
    return work / "store"


def in_process(store: Path, work: Path, n: int) -> dict:
    from rag.analytics import QuestionLog
    from rag.analytics.db import Database, sqlite_url
    from rag.config import Settings
    from rag.explainer import Explainer

    bot = Explainer.open(replace(Settings.from_env(), store_dir=store, answer_cache=0))
    on = QuestionLog(Database.open(sqlite_url(work / "on.sqlite3")))
    off = QuestionLog(Database.open(sqlite_url(work / "off.sqlite3")), enabled=False)
    qs = distinct_questions(n)
    for q in qs[:10]:  # warm: models, caches of article texts
        bot.ask(q)
    t = time.perf_counter()
    answer = bot.ask(qs[0])
    for i in range(10000):
        on.record(f"q{i}", answer)
    record_us = (time.perf_counter() - t) / 10000 * 1e6
    on.flush(120)
    times = {"on": [], "off": []}
    for i, q in enumerate(qs):
        for name in (("on", "off") if i % 2 else ("off", "on")):
            log = on if name == "on" else off
            t = time.perf_counter()
            log.record(q, bot.ask(q))
            times[name].append((time.perf_counter() - t) * 1000)
    assert on.flush(120)
    diffs = [a - b for a, b in zip(times["on"], times["off"])]
    return {"record_us_per_call": round(record_us, 2), "ask_log_on": stats(times["on"]),
            "ask_log_off": stats(times["off"]), "median_added_ms": round(statistics.median(diffs), 3),
            "logged": len(on.asked(since=0))}


def over_http(store: Path, work: Path, n: int, aa: bool = False) -> dict:
    import httpx

    servers = {}
    for name, flag in (("on", "1"), ("off", "1" if aa else "0")):
        port = free_port()
        servers[name] = spawn([sys.executable, ROOT / "ui.py"], port, log=work / f"{name}.log", env={
            "RAG_STORE": str(store), "RAG_PORT": str(port), "RAG_RATE_LIMIT": "0", "RAG_ANSWER_CACHE": "0",
            "RAG_ANALYTICS": flag, "RAG_FEEDBACK": str(work / f"http-{name}.sqlite3")})
    try:
        for s in servers.values():
            wait_ready(s, "/api/health", 300)
        times = {"on": [], "off": []}
        qs = distinct_questions(n)
        with httpx.Client(timeout=60) as c:
            for q in qs[:10]:
                for s in servers.values():
                    c.post(s.url + "/api/ask", json={"question": q})
            for i, q in enumerate(qs):
                for name in (("on", "off") if i % 2 else ("off", "on")):
                    t = time.perf_counter()
                    assert c.post(servers[name].url + "/api/ask", json={"question": q}).status_code == 200
                    times[name].append((time.perf_counter() - t) * 1000)
        diffs = [a - b for a, b in zip(times["on"], times["off"])]
        return {"api_log_on": stats(times["on"]), "api_log_off": stats(times["off"]),
                "median_added_ms": round(statistics.median(diffs), 3)}
    finally:
        for s in servers.values():
            s.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", help="an ingested store (default: corpus/ ingested into a temp folder)")
    p.add_argument("--n", type=int, default=300, help="questions per path (default: 300)")
    p.add_argument("--http", action="store_true", help="also compare two servers over HTTP")
    p.add_argument("--aa", action="store_true", help="with --http: the log on in both servers (the noise floor)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = store_dir(args.store, work)
        out = {"in_process": in_process(store, work, args.n)}
        if args.http:
            out["http"] = over_http(store, work, args.n, args.aa)
    if args.json:
        print(json.dumps(out))
    else:
        ip = out["in_process"]
        print(f"record(): {ip['record_us_per_call']} us per call (a queue put)")
        print(f"ask + record, log on:  median {ip['ask_log_on']['median_ms']} ms, p95 {ip['ask_log_on']['p95_ms']} ms")
        print(f"ask + record, log off: median {ip['ask_log_off']['median_ms']} ms, p95 {ip['ask_log_off']['p95_ms']} ms")
        print(f"added per answer (median of paired differences): {ip['median_added_ms']} ms; rows logged {ip['logged']}")
        if "http" in out:
            h = out["http"]
            print(f"/api/ask log on: median {h['api_log_on']['median_ms']} ms; off: {h['api_log_off']['median_ms']} ms; "
                  f"added (median of paired differences): {h['median_added_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

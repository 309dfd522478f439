"""Chat server numbers, in one run on one machine:

    python benchmarks/api_latency.py                 # the store in data/store (./dev rag ingest corpus/ first)
    python benchmarks/api_latency.py --store DIR --n 50 --json

1. cold start: `python ui.py` spawned on a free port until the chat page answers 200,
   and until the first /api/ask answer;
2. POST /api/ask: N sequential calls over HTTP (median, p95), rate limit off;
3. the core's in-process `Explainer.ask` on the same questions (median, p95), on the
   main thread and on a worker thread (where the server runs it).

(2) and (3) alternate call by call, so both see the same machine load, and the
server is idle while the in-process call runs.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag._testing import ProcessFailed, free_port, percentile, spawn, wait_ready  # noqa: E402

QUESTIONS = [
    "What is Anthropic accusing Alibaba of?", "Which companies are involved in this dispute?",
    "How much does it cost to develop a leading large language model?", "What is Alibaba's cloud division building?",
    "What could a prolonged legal battle do to Anthropic?", "What should investors watch next?",
    "Why is intellectual property protection crucial for AI companies?", "Who won the 1998 football world cup?",
    "What is AI nationalism?", "How is this accusation impacting the AI sector?",
]


def distinct_questions(n: int) -> list[str]:
    """n questions, each asked once per path (answers and query embeddings are cached per process):
    the list above, then the repo's eval sets; cycled only if there are fewer than n."""
    import yaml

    qs = list(QUESTIONS)
    for name in ("answerable", "unanswerable", "adversarial", "conversations"):
        path = ROOT / "evals" / f"{name}.yaml"
        if path.exists():
            for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("items", []):
                for q in [item.get("q")] + [t.get("q") if isinstance(t, dict) else t for t in item.get("turns", [])]:
                    if isinstance(q, str) and len(q) <= 1000:
                        qs.append(q)
    qs = list(dict.fromkeys(qs))
    return [qs[i % len(qs)] for i in range(n)]


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 95), 1),
            "min_ms": round(min(ms), 1), "max_ms": round(max(ms), 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default=str(ROOT / "data" / "store"))
    ap.add_argument("--n", type=int, default=50, help="sequential calls per measurement (default 50)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = ap.parse_args(argv)
    if not (Path(args.store) / "chroma.sqlite3").exists():
        print(f"No store at {args.store}. Build it with: ./dev rag ingest corpus/", file=sys.stderr)
        return 2

    import httpx

    questions = distinct_questions(args.n + 1)
    warmup, questions = questions[-1], questions[:-1]
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="rag-api-latency-"))
    env = {"RAG_STORE": args.store, "RAG_PORT": str(port), "RAG_RATE_LIMIT": "0",
           "RAG_FEEDBACK": str(work / "feedback.sqlite3")}
    server = spawn([sys.executable, ROOT / "ui.py"], port, log=work / "server.log", env=env)
    out: dict = {}
    with server:
        try:
            wait_ready(server, "/", timeout=300, interval=0.05)
        except ProcessFailed as e:
            print(e, file=sys.stderr)
            return 1
        with httpx.Client(base_url=server.url, timeout=120) as c:
            out["cold_start_page_s"] = round(time.perf_counter() - server.started, 2)
            c.post("/api/ask", json={"question": warmup}).raise_for_status()
            out["cold_start_first_answer_s"] = round(time.perf_counter() - server.started, 2)

            from rag import Explainer, Settings

            # one Explainer per path, so neither finds the other's question in its caches
            bot = Explainer.open(Settings.from_env(store_dir=Path(args.store)))
            bot_t = Explainer.open(Settings.from_env(store_dir=Path(args.store)))
            bot.ask(warmup)  # the same warm-up the server got
            bot_t.ask(warmup)
            # Interleaved, one call at a time: both paths see the same machine load, never together.
            # The server answers on a worker thread; torch can run at a different speed there than on the
            # main thread of a busy machine, so the in-process call is timed both ways.
            worker = ThreadPoolExecutor(max_workers=1)
            http_ms, server_ms, core_ms, core_thread_ms = [], [], [], []
            for q in questions:
                t = time.perf_counter()
                r = c.post("/api/ask", json={"question": q})
                http_ms.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                server_ms.append(r.json()["latency_ms"])
                t = time.perf_counter()
                bot.ask(q)
                core_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                worker.submit(bot_t.ask, q).result()
                core_thread_ms.append((time.perf_counter() - t) * 1000)
            worker.shutdown()
            out["api_ask_http"] = summary(http_ms)
            out["api_ask_server_side"] = summary(server_ms)
            out["core_ask_in_process"] = summary(core_ms)
            out["core_ask_in_process_worker_thread"] = summary(core_thread_ms)

    out["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                      "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}

    if args.json:
        print(json.dumps(out))
        return 0
    print(f"machine: {out['machine']}")
    print(f"cold start: page answers after {out['cold_start_page_s']} s, "
          f"first /api/ask answer after {out['cold_start_first_answer_s']} s")
    print(f"{'':28} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'min':>7} {'max':>7}")
    for key, label in (("api_ask_http", "POST /api/ask (HTTP)"), ("api_ask_server_side", "  of which in the server"),
                       ("core_ask_in_process", "Explainer.ask in-process"),
                       ("core_ask_in_process_worker_thread", "  same, on a worker thread")):
        s = out[key]
        print(f"{label:28} {s['n']:>4} {s['median_ms']:>10} {s['p95_ms']:>8} {s['min_ms']:>7} {s['max_ms']:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

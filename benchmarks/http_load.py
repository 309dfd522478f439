"""The chat server under concurrent readers: `rag serve` on loopback, POST /api/ask.

    python benchmarks/http_load.py --store DIR [--clients 1,10,50] [--requests 200] [--seconds 60]

Measures the server's cold start (process start to the first /api/ask answer),
then for each number of concurrent clients sends a bounded number of requests
(and stops at a time limit): throughput, p50/p95 latency, errors, and the
server's peak RSS. Questions cycle through the given list, each client starting
at its own offset, so the first round is first sight and later rounds repeat
(as readers clicking the same example questions do). Rate limiting is off.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag._testing import Proc, free_port, percentile, spawn, wait_ready  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(store: str, work: Path, question: str, timeout: float = 300) -> tuple[Proc, dict]:
    """`rag serve` on a free port; ready (and the cold start measured) at its first /api/ask answer."""
    port = free_port()
    env = {"RAG_STORE": store, "RAG_RATE_LIMIT": "0", "RAG_FEEDBACK": str(work / "feedback.sqlite3")}
    server = spawn([sys.executable, "-m", "rag", "serve", "--host", "127.0.0.1", "--port", port], port,
                   log=work / f"serve-{port}.log", env=env)
    wait_ready(server, lambda c, url: c.post(url + "/api/ask", json={"question": question}).status_code == 200,
               timeout)
    return server, {"cold_start_s": time.perf_counter() - server.started}


def load(url: str, questions: list[str], clients: int, requests: int, seconds: float) -> dict:
    """`clients` threads, each with its own connection, until `requests` are sent or `seconds` pass."""
    lock = threading.Lock()
    sent = [0]
    lat, errors = [], []
    deadline = time.perf_counter() + seconds

    def worker(k: int):
        i = k * 7
        with httpx.Client(timeout=60) as client:
            while time.perf_counter() < deadline:
                with lock:
                    if sent[0] >= requests:
                        return
                    sent[0] += 1
                q = questions[i % len(questions)]
                i += 1
                t = time.perf_counter()
                try:
                    r = client.post(url + "/api/ask", json={"question": q})
                    ok = r.status_code == 200
                    why = f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    ok, why = False, type(e).__name__
                with lock:
                    (lat.append(time.perf_counter() - t) if ok else errors.append(why))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = [x * 1000 for x in lat]
    return {"clients": clients, "requests": len(lat) + len(errors), "errors": len(errors),
            "error_kinds": sorted(set(errors)), "seconds": wall, "throughput_per_s": len(lat) / wall,
            "p50_ms": statistics.median(ms) if ms else None, "p95_ms": percentile(ms, 95) if ms else None}


def run(store: str, questions: list[str], clients=(1, 10, 50), requests: int = 200, seconds: float = 60) -> dict:
    with tempfile.TemporaryDirectory(prefix="rag-http-") as tmp:
        server, out = start(store, Path(tmp), questions[0])
        with server:
            out["levels"] = [load(server.url, questions, c, max(requests, c), seconds) for c in clients]
            out["server_peak_rss_mb"] = peak_rss_mb(server.pid)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--clients", default="1,10,50")
    ap.add_argument("--requests", type=int, default=200, help="requests per level (at least one per client)")
    ap.add_argument("--seconds", type=float, default=60, help="time limit per level")
    ap.add_argument("--questions", help="a text file, one question a line (default: run.py's questions)")
    a = ap.parse_args()
    if a.questions:
        qs = [x for x in Path(a.questions).read_text().splitlines() if x.strip()]
    else:
        from questions import real_questions

        qs = real_questions()
    print(json.dumps(run(a.store, qs, [int(c) for c in a.clients.split(",")], a.requests, a.seconds), indent=1))

"""Plumbing shared by tests/ and benchmarks/ (the product never imports it): server processes
started, waited for and stopped one way; free loopback ports; one percentile.

It lives in the package so both import it the same way (`from rag._testing import ...`)
without putting one folder's path on the other's sys.path.
"""
from __future__ import annotations

import math
import os
import shlex
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence, Union

import httpx

ROOT = Path(__file__).resolve().parent.parent

# a URL path that must answer 200 to a GET, or a check given a client and the base URL
Ready = Union[str, Callable[[httpx.Client, str], bool]]


class ProcessFailed(RuntimeError):
    """A started process exited or never became ready; the message ends with its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 15) -> int | None:
    """Terminate, then kill if it has not exited within `timeout` seconds; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


@dataclass
class Proc:
    """A process serving HTTP on a loopback port."""
    proc: subprocess.Popen
    url: str  # http://127.0.0.1:PORT, no trailing slash
    port: int
    log: Path | None
    env: dict
    started: float = field(default_factory=time.perf_counter)  # just before the spawn: cold starts count from it

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def name(self) -> str:
        return shlex.join(self.proc.args)[:200]

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:] if self.log else "(no log kept)"
        except OSError:
            return "(log unreadable)"

    def stop(self, timeout: float = 15) -> int | None:
        return stop(self.proc, timeout)

    def __enter__(self) -> "Proc":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def spawn(cmd: Sequence[str], port: int, *, log: Path | None = None, cwd: Path = ROOT, env: dict | None = None,
          cls: type = Proc, **fields) -> Proc:
    """Start `cmd` (which must listen on `port`) with stdout and stderr to `log` (or nowhere)."""
    env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    if log:
        with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(list(map(str, cmd)), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    else:
        proc = subprocess.Popen(list(map(str, cmd)), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    return cls(proc, f"http://127.0.0.1:{port}", port, log, env, started, **fields)


def wait_ready(p: Proc, ready: Ready = "/api/health", timeout: float = 180, interval: float = 0.1) -> Proc:
    """Poll until `ready` holds. A process that exits, or is not ready in time (then it is stopped),
    raises ProcessFailed with the end of its log."""
    check = ready if callable(ready) else (lambda c, url: c.get(url + ready, timeout=5).status_code == 200)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=60) as client:
        while True:
            if p.proc.poll() is not None:
                raise ProcessFailed(f"{p.name} exited with {p.proc.returncode}:\n{p.tail()}")
            try:
                if check(client, p.url):
                    return p
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                p.stop()
                raise ProcessFailed(f"{p.name} was not ready within {timeout:.0f}s:\n{p.tail()}")
            time.sleep(interval)


def start(cmd: Sequence[str], port: int, ready: Ready = "/api/health", timeout: float = 180, **kw) -> Proc:
    """spawn() then wait_ready(): the process, answering."""
    return wait_ready(spawn(cmd, port, **kw), ready, timeout)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between the closest ranks: numpy's default
    (method="linear"), so a p95 here is the p95 numpy, pandas or a spreadsheet would print."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is outside 0-100")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class Site:
    """A small web site on 127.0.0.1, served from a thread of this process (tests of `rag ingest URL`, the
    feed benchmark): the files under `root` with ETag and Last-Modified, answering conditional requests
    with 304, plus `routes` (URL path -> function(handler) that writes the whole response). Every request
    is in `log` as {"path", "status", "etag_sent", "since_sent", "agent"}.

        with Site(folder) as site:
            site.url("/feed.xml")   # http://127.0.0.1:PORT/feed.xml
    """

    TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
             ".gz": "application/gzip"}

    def __init__(self, root: Path, routes: dict | None = None, host: str = "127.0.0.1"):
        import http.server
        import threading

        self.root, self.routes, self.host = Path(root), dict(routes or {}), host
        self.log: list[dict] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # the log is `site.log`, not stderr
                pass

            def send_response(self, code, message=None):
                site.log.append({"path": self.path, "status": code,
                                 "etag_sent": self.headers.get("If-None-Match", ""),
                                 "since_sent": self.headers.get("If-Modified-Since", ""),
                                 "agent": self.headers.get("User-Agent", "")})
                super().send_response(code, message)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path in site.routes:
                    return site.routes[path](self)
                site.serve_file(self, path)

        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def serve_file(self, h, path: str) -> None:
        import email.utils
        import hashlib

        f = (self.root / path.lstrip("/")).resolve()
        if not f.is_relative_to(self.root.resolve()) or not f.is_file():
            return self.send(h, 404, b"not found", "text/plain")
        body = f.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        mtime = int(f.stat().st_mtime)
        sent = h.headers.get("If-None-Match")
        since = h.headers.get("If-Modified-Since")
        try:
            fresh = etag in (sent or "") if sent else bool(
                since and email.utils.parsedate_to_datetime(since).timestamp() >= mtime)
        except (TypeError, ValueError):
            fresh = False
        headers = {"ETag": etag, "Last-Modified": email.utils.formatdate(mtime, usegmt=True)}
        if fresh:
            return self.send(h, 304, b"", None, headers)
        self.send(h, 200, body, self.TYPES.get(f.suffix, "application/octet-stream"), headers)

    @staticmethod
    def send(h, status: int, body: bytes, ctype: str | None, headers: dict | None = None) -> None:
        h.send_response(status)
        if ctype:
            h.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body:
            h.wfile.write(body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "Site":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

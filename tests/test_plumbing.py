"""The shared test and benchmark plumbing (rag/_testing.py): one percentile, processes that are
waited for and always stopped."""
from __future__ import annotations

import random
import signal
import sys
import time

import numpy as np
import pytest

from rag._testing import ProcessFailed, free_port, percentile, spawn, start, stop


def test_percentile_is_numpys_linear_interpolation():
    rng = random.Random(3)
    for n in (1, 2, 3, 7, 20, 101):
        values = [rng.uniform(0, 500) for _ in range(n)]
        for p in (0, 5, 50, 90, 95, 99, 100):
            assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)), abs=1e-9), (n, p)
    assert percentile([4, 1, 3, 2], 50) == 2.5  # the median of an even count, like statistics.median
    assert percentile(list(range(1, 21)), 95) == pytest.approx(19.05)
    with pytest.raises(ValueError):
        percentile([], 95)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_process_is_ready_when_it_answers_and_stops_on_exit(tmp_path):
    port = free_port()
    server = start(_python(f"import http.server as h; h.test(h.SimpleHTTPRequestHandler, h.ThreadingHTTPServer, "
                           f"port={port}, bind='127.0.0.1')"), port, "/", timeout=60, log=tmp_path / "log",
                   cwd=tmp_path)
    with server:
        assert server.proc.poll() is None and server.url == f"http://127.0.0.1:{port}"
    assert server.proc.returncode == -signal.SIGTERM  # terminated, not left running


def test_a_process_that_ignores_sigterm_is_killed(tmp_path):
    flag = tmp_path / "ignoring"
    proc = spawn(_python("import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                         f"pathlib.Path({str(flag)!r}).touch(); time.sleep(120)"), free_port()).proc
    while not flag.exists():
        assert proc.poll() is None
        time.sleep(0.02)
    assert stop(proc, timeout=1) == -signal.SIGKILL


def test_a_process_that_exits_fails_with_its_log(tmp_path):
    port = free_port()
    with pytest.raises(ProcessFailed) as e:
        start(_python("import sys; print('cannot open the store', flush=True); sys.exit(3)"), port, timeout=60,
              log=tmp_path / "log")
    assert "exited with 3" in str(e.value) and "cannot open the store" in str(e.value)

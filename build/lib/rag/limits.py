"""Per-client rate limit shared by the chat and the JSON API.

A token bucket per client address: `burst` questions in a row, then `per_min`
a minute. In memory, so it resets when the server restarts.
"""
from __future__ import annotations

import ipaddress
import math
import threading
import time


def client_key(host: str | None) -> str:
    """The address a limit applies to; IPv6 clients get one bucket per /64, which one user usually holds whole."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class RateLimiter:
    """`hit(key)` returns 0 when the request may go ahead, else the seconds to wait."""

    def __init__(self, per_min: float, burst: int, max_clients: int = 50_000):
        self.rate = max(per_min, 0.0) / 60.0
        self.burst = max(int(burst), 1)
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def hit(self, key: str, now: float | None = None) -> float:
        if not self.enabled:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                self._prune(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def retry_after(self, wait: float) -> int:
        """Whole seconds for a Retry-After header (never 0)."""
        return max(1, math.ceil(wait))

    def _prune(self, now: float) -> None:
        # Full buckets carry no information: drop them when the table grows, so it stays bounded.
        if len(self._buckets) <= self.max_clients:
            return
        full = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
        if len(self._buckets) > self.max_clients:  # still too many active clients: forget the oldest
            keep = sorted(self._buckets.items(), key=lambda kv: kv[1][1])[-self.max_clients // 2:]
            self._buckets = dict(keep)

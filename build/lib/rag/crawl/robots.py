"""robots.txt, read once per site and run, through the same `Fetcher` as everything else (RFC 9309).

Asked conditionally, like every fetch: its validators and text are remembered with the pages'.
A missing robots.txt (4xx) allows everything; one that cannot be read (5xx, no answer) allows
nothing until a later run reads it. A site our address rules refuse stays refused: that reason,
not "robots.txt unreachable", is what the page is skipped for.
"""
from __future__ import annotations

import threading
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from .fetch import ROBOTS_AGENT, FetchError, Fetcher, Refused

MAX_ROBOTS_BYTES = 500_000  # RFC 9309: a crawler may stop reading after 500 KiB


class Robots:
    def __init__(self, fetcher: Fetcher, memory: dict[str, dict] | None = None):
        self._fetcher = fetcher
        self._memory = memory or {}
        self.remember: list[dict] = []  # rows for the fetch memory (see rag/store/fetches.py)
        self._rules: dict[str, RobotFileParser | Refused] = {}
        self._lock = threading.Lock()
        self._site_locks: dict[str, threading.Lock] = {}

    def check(self, url: str) -> str:
        """Why robots.txt forbids fetching `url`, or "" when it allows it. Raises `Refused` for a site
        the address rules refuse."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            site_lock = self._site_locks.setdefault(site, threading.Lock())
        with site_lock:  # one fetch of a site's robots.txt, however many pages are waiting for it
            if site not in self._rules:
                self._rules[site] = self._read(site)
        rules = self._rules[site]
        if isinstance(rules, Refused):
            raise rules
        if rules.can_fetch(ROBOTS_AGENT, url):
            return ""
        return "disallowed by robots.txt" if not rules.disallow_all else "robots.txt could not be read"

    def _read(self, site: str) -> RobotFileParser | Refused:
        rules = RobotFileParser()
        url = f"{site}/robots.txt"
        mem = self._memory.get(url) or {}
        try:
            # any content type: a soft-404 HTML page parses to no rules, which allows everything
            r = self._fetcher.get(url, etag=mem.get("etag", ""), modified=mem.get("modified", ""))
        except Refused as e:
            return e
        except FetchError as e:
            if 400 <= e.status < 500:
                rules.allow_all = True
            else:  # a server error or no answer
                rules.disallow_all = True
            rules.modified()
            return rules
        if r.status == 304:
            text = (mem.get("children") or {}).get("text", "")
        else:
            text = r.body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")
            with self._lock:
                self.remember.append({"url": url, "etag": r.etag, "modified": r.last_modified, "kind": "robots",
                                      "doc_id": "", "children": {"text": text}})
        rules.parse(text.splitlines())
        return rules

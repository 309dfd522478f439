"""The network boundary: every byte `rag ingest` takes from the web comes through `Fetcher.get`.

A feed item can point anywhere, so the rules are enforced here and nowhere else:
- http/https URLs only, by `sanitize.safe_url` (no credentials, no control characters);
- every address a host resolves to must be public (not private, loopback, link-local, multicast,
  reserved or unspecified), checked when the connection is opened, also for each redirect and each
  host a redirect names; the socket connects to the address that was checked, so a DNS answer cannot
  change between the check and the connection. `FetchSettings.allow_private` lets named hosts (or all,
  "*") reach private addresses for tests and intranet CMSs; link-local addresses (169.254.169.254,
  the cloud metadata service; fe80::/10) are refused whatever it says;
- redirects limited, each response bounded in size and in time (a server dripping bytes is cut off),
  and its content type checked against what the caller expects.
Failures are `FetchError`s with a one-line reason; the caller skips the page and goes on.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import certifi
import httpcore
import httpx

from ..config import FetchSettings
from ..sanitize import safe_url

USER_AGENT = "newsroom-explainer/0.1 (rag ingest; honours robots.txt)"
ROBOTS_AGENT = "newsroom-explainer"  # the product token robots.txt rules name
MAX_REDIRECTS = 5
HTML = ("text/html", "application/xhtml+xml")
XML = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml",
       "application/x-gzip", "application/gzip")


class FetchError(Exception):
    """A URL that could not be used; `str()` is the reason, `status` the HTTP status when there was one."""

    def __init__(self, reason: str, status: int = 0):
        super().__init__(reason)
        self.status = status


class Refused(FetchError):
    """Refused by the rules above (address, scheme), before any request was sent."""


@dataclass(frozen=True)
class Response:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int  # 200, or 304 when the validators sent still hold
    content_type: str
    body: bytes
    etag: str = ""
    last_modified: str = ""


def address_problem(ip: str, host: str, allow: tuple[str, ...]) -> str:
    """Why `ip` (an address `host` resolved to) may not be fetched, or "" when it may."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    where = host if host.strip("[]") == str(addr) else f"{host} resolves to {addr}, which"
    if addr.is_link_local:
        return f"{where} is a link-local address (cloud metadata services live there)"
    if addr.is_global and not addr.is_multicast:
        return ""
    if "*" in allow or host.lower().strip("[]") in allow:
        return ""
    kind = "loopback" if addr.is_loopback else "unspecified" if addr.is_unspecified else \
        "private" if addr.is_private else "non-public"
    return f"{where} is a {kind} address (set RAG_FETCH_ALLOW_PRIVATE=1, or to the host's name, to fetch from it)"


class _Guard(httpcore.NetworkBackend):
    """Opens every connection the client makes: resolve, check each address, connect to a checked one."""

    def __init__(self, allow: tuple[str, ...]):
        self._allow = allow
        self._sync = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise FetchError(f"cannot resolve {host} ({getattr(e, 'strerror', None) or e})") from None
        ips = list(dict.fromkeys(info[4][0] for info in infos))
        for ip in ips:  # one bad address refuses the host: a resolver may answer differently next time
            problem = address_problem(ip, host, self._allow)
            if problem:
                raise Refused(problem)
        last: Exception | None = None
        for ip in sorted(ips, key=lambda a: ":" in a):  # IPv4 first: servers bound to 127.0.0.1 only
            try:
                return self._sync.connect_tcp(ip, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last = e
        raise last or FetchError(f"cannot resolve {host}")

    def connect_unix_socket(self, *a, **kw):  # pragma: no cover - never configured
        raise Refused("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _Transport(httpx.HTTPTransport):
    """httpx's transport with its connection pool built on `_Guard`."""

    def __init__(self, allow: tuple[str, ...], concurrency: int):
        super().__init__(trust_env=False)  # no proxy from the environment: it would connect for us
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx changed how its transport keeps connections; update rag/crawl/fetch.py")
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()), max_connections=concurrency,
            max_keepalive_connections=concurrency, network_backend=_Guard(allow))


class Fetcher:
    """One polite client for a run: a clear User-Agent, at most `concurrency` connections, the rules above.
    Safe to share between threads."""

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.requests = 0  # responses received (a 304 is one)
        self.not_modified = 0
        self._count = threading.Lock()
        self._client = httpx.Client(
            transport=_Transport(settings.allow_private, settings.concurrency), follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout), headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, accept: tuple[str, ...] = (), etag: str = "", modified: str = "") -> Response:
        """GET `url`, following up to MAX_REDIRECTS redirects. `accept`: the content types wanted (none: any);
        `etag`/`modified`: validators from an earlier fetch, for a conditional request (304 -> empty body)."""
        headers = {"Accept": ", ".join(accept) if accept else "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        deadline = time.monotonic() + self.settings.timeout
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if not safe_url(current):
                raise Refused(f"not a plain http(s) URL: {current[:200]}")
            try:
                with self._client.stream("GET", current, headers=headers) as r:
                    with self._count:
                        self.requests += 1
                    if r.is_redirect and r.headers.get("location"):
                        current = urljoin(current, r.headers["location"])
                        continue
                    return self._read(url, current, r, accept, deadline)
            except FetchError:
                raise
            except httpx.TimeoutException:
                raise FetchError(f"no answer within {self.settings.timeout:g} s") from None
            except httpx.HTTPError as e:
                raise FetchError(f"cannot connect ({type(e).__name__}: {str(e)[:120]})") from None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _read(self, url: str, final: str, r: httpx.Response, accept: tuple[str, ...], deadline: float) -> Response:
        validators = {"etag": r.headers.get("etag", ""), "last_modified": r.headers.get("last-modified", "")}
        if r.status_code == 304:
            with self._count:
                self.not_modified += 1
            return Response(url, final, 304, "", b"", **validators)
        if r.status_code != 200:
            raise FetchError(f"HTTP {r.status_code}", r.status_code)
        ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
        if accept and ctype and ctype not in accept:
            wanted = ("an HTML page" if set(accept) <= set(HTML) else "a feed or sitemap (XML)"
                      if set(accept) <= set(XML) else "an HTML page, a feed or a sitemap")
            raise FetchError(f"content type {ctype}, not {wanted}")
        limit = self.settings.max_bytes
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"too large ({int(declared) / 1e6:.1f} MB > {limit / 1e6:g} MB limit, RAG_FETCH_MAX_MB)")
        body = bytearray()
        for part in r.iter_bytes():
            body += part
            if len(body) > limit:
                raise FetchError(f"too large (> {limit / 1e6:g} MB limit, RAG_FETCH_MAX_MB)")
            if time.monotonic() > deadline:
                raise FetchError(f"not complete within {self.settings.timeout:g} s (RAG_FETCH_TIMEOUT)")
        return Response(url, final, 200, ctype, bytes(body), **validators)

"""The security middleware in front of every route: `Guard`.

Security headers on every response, CORS for `/api` from the configured allow-list only, a request
body cap and the per-client rate limit. Gradio's own CORS answer (it echoes any origin when the Host
header is not localhost) is removed, so only the allow-list decides; the one file other sites load,
`/embed.js`, is readable from any origin. Pure ASGI, so streamed answers pass through untouched.
"""
from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from fastapi.responses import RedirectResponse
from starlette.datastructures import Headers, MutableHeaders

from .config import Settings, parse_origins
from .embed import SCRIPT_PATH
from .limits import RateLimiter, client_key

UPLOAD_PATH = "/gradio_api/upload"
BODY_TIMEOUT_S = 10.0  # a body that trickles in slower than this is refused (408): slow clients hold connections


def content_security_policy(origins: tuple[str, ...]) -> str:
    """Same-origin everything; inline script/style because Gradio's page needs them; framing by the allow-list."""
    ancestors = " ".join(("'self'",) + origins)
    return ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self'; "
            "worker-src 'self' blob:; object-src 'none'; frame-src 'none'; base-uri 'self'; form-action 'self'; "
            f"frame-ancestors {ancestors}")


class Guard:
    """Pure ASGI (streaming answers pass through untouched): headers, CORS, body cap, rate limit."""

    def __init__(self, app, settings: Settings, limiter: RateLimiter):
        self.app, self.settings, self.limiter = app, settings, limiter
        self.origins = parse_origins(settings.allowed_origins)
        self.max_body = settings.max_body_kb * 1024
        self.headers = {
            "content-security-policy": content_security_policy(self.origins),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "cross-origin-resource-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        }
        if not self.origins:  # for browsers without CSP frame-ancestors; it cannot name other origins
            self.headers["x-frame-options"] = "SAMEORIGIN"
        # The editors' pages are never framed, not even by the embedding sites (clickjacking a token holder).
        self.editor_headers = {**self.headers, "x-frame-options": "DENY",
                               "content-security-policy": content_security_policy(()).replace(
                                   "frame-ancestors 'self'", "frame-ancestors 'none'")}
        # The embed script is loaded by the newsroom's pages with <script src>: other origins may load it
        # (it is one public file, the same for everyone, sent without cookies).
        self.public_headers = {**self.headers, "cross-origin-resource-policy": "cross-origin",
                               "access-control-allow-origin": "*"}

    def allowed(self, origin: str | None) -> bool:
        # Exact match: browsers send origins normalised, the allow-list is normalised the same way.
        return origin is not None and origin in self.origins

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope["method"]
        headers = Headers(scope=scope)
        api = path == "/api" or path.startswith("/api/")
        origin = headers.get("origin")
        cors_origin = origin if api and self.allowed(origin) else None
        preflight = api and method == "OPTIONS" and "access-control-request-method" in headers
        editors = path == "/admin" or path.startswith("/admin/")
        fixed = self.editor_headers if editors else self.public_headers if path == SCRIPT_PATH else self.headers
        send = self._send(send, api, cors_origin, preflight, fixed)

        if preflight:
            if not cors_origin:
                return await _json(send, 403, {"error": "This origin may not call the API. Ask the site owner "
                                                        "to add it to RAG_ALLOWED_ORIGINS."})
            return await _json(send, 204, None)
        if path == "/" and method in ("GET", "HEAD") and parse_qs(scope.get("query_string", b"").decode("latin-1")).get("embed") == ["1"]:
            return await RedirectResponse("/embed/", status_code=307)(scope, receive, send)
        if api and method == "POST" and path == "/api/ask":
            wait = self.limiter.hit(client_key((scope.get("client") or ("", 0))[0]))
            if wait:
                after = self.limiter.retry_after(wait)
                return await _json(send, 429, {"error": f"Too many questions from this address. Try again in {after} s."},
                                   {"retry-after": str(after)})
        if path.endswith(UPLOAD_PATH):
            # The page has no upload component: without this, anyone could store small files on the
            # server (Gradio keeps them in its cache and serves them back) and fill its disk.
            return await _json(send, 403, {"error": "Uploads are not accepted."})
        if method in ("POST", "PUT", "PATCH"):
            try:
                body = await self._read_body(headers, receive)
            except asyncio.TimeoutError:
                return await _json(send, 408, {"error": "The request body arrived too slowly. Send it again."})
            if body is None:
                return await _json(send, 413, {"error": f"The request body is larger than {self.settings.max_body_kb} KB. "
                                                        "Send a shorter question and history."})
            receive = _replay(body)
        await self.app(scope, receive, send)

    async def _read_body(self, headers: Headers, receive) -> bytes | None:
        """The whole body, or None when it is over the cap (checked before and while reading)."""
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return None
        chunks, size = [], 0
        deadline = asyncio.get_running_loop().time() + BODY_TIMEOUT_S
        while True:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _send(self, send, api: bool, cors_origin: str | None, preflight: bool, fixed: dict):

        async def wrapped(message):
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                for key in {k.lower() for k in h.keys()}:
                    if key.startswith("access-control-"):  # whatever the app below decided
                        del h[key]
                for key, value in fixed.items():
                    h[key] = value
                if api:
                    h.add_vary_header("Origin")
                if cors_origin:
                    h["access-control-allow-origin"] = cors_origin
                    if preflight:
                        h["access-control-allow-methods"] = "GET, POST, OPTIONS"
                        h["access-control-allow-headers"] = "content-type"
                        h["access-control-max-age"] = "600"
                    else:
                        h["access-control-expose-headers"] = "Retry-After"
            await send(message)
        return wrapped


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


async def _json(send, status: int, payload, headers: dict | None = None) -> None:
    body = b"" if payload is None else json.dumps(payload).encode()
    raw = [(b"content-type", b"application/json")] if payload is not None else []
    raw += [(b"content-length", str(len(body)).encode())] + [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})

"""One server for readers and tools: the chat at `/`, an iframe variant at `/embed/`, the JSON API under `/api`.

    app = create_app(Settings.from_env())      # or create_app(settings, explainer) to share loaded models
    serve(settings)                             # uvicorn on settings.host:settings.port

`Guard` wraps everything: security headers on every response, CORS for `/api`
from the configured allow-list only, a request body cap and the per-client rate
limit. Gradio's own CORS answer (it echoes any origin when the Host header is
not localhost) is removed, so only the allow-list decides.

Why 370 lines: the security middleware (Guard), the JSON API and the app assembly belong to one
process boundary; Guard is the candidate to move to rag/web/guard.py with the embed work (issue 12).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import _offline  # noqa: F401
from .config import Settings, parse_origins
from .errors import BadQuestion, RagError
from .explainer import Explainer
from .analytics import QuestionLog, database_url
from .feedback import FeedbackLog
from .limits import RateLimiter, client_key

log = logging.getLogger("rag")

MAX_UPLOAD = "1kb"  # no upload component, and Guard refuses the upload route; a second line of defence
UPLOAD_PATH = "/gradio_api/upload"
BODY_TIMEOUT_S = 10.0  # a body that trickles in slower than this is refused (408): slow clients hold connections


# --------------------------------------------------------------------------- security middleware


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
        send = self._send(send, api, cors_origin, preflight, editors)

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

    def _send(self, send, api: bool, cors_origin: str | None, preflight: bool, editors: bool = False):
        fixed = self.editor_headers if editors else self.headers

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


# --------------------------------------------------------------------------- JSON API


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "What is Anthropic accusing Alibaba of?", "history": []}]})

    question: str = Field(description="The reader's question (at most RAG_MAX_QUESTION_CHARS characters).")
    history: list[dict[str, Any] | list[Any]] | None = Field(
        default=None, description='Earlier turns, oldest first: {"question", "answer"} objects, '
                                  '{"role", "content"} chat messages, or [question, answer] pairs.')


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    url: str = Field(description="The article's canonical URL (tracking parameters removed); empty when it has none.")
    quote: str = Field(description="Verbatim text of the article at [start, end).")
    start: int
    end: int
    score: float
    published: str = Field("", description="The article's publication date, ISO 8601, when known.")
    section: str = ""
    updated: str = Field("", description="When the article was last updated, ISO 8601, when it says so.")
    correction: str = Field("", description="The article's correction notes, when it has any.")


class AnswerOut(BaseModel):
    answer: str = Field(description="A few sentences, each ending in [n] markers; or the refusal.")
    refused: bool
    citations: list[CitationOut]
    latency_ms: float
    backend: str
    fallback: bool = Field(description="True when the extractive answer replaced a model's draft.")
    dropped: int = Field(description="How many drafted sentences the citation checker removed. Their text is "
                                     "never sent: only what passed the checker is.")
    drafted: int = Field(description="How many sentences the backend drafted.")
    notice: str
    lead: str = Field(default="", description="For a yes/no question, the answer in plain words (\"No.\", "
                                              "\"Not so far.\", \"Carrow says no.\"), to show before `answer`; "
                                              "empty otherwise. Fixed wording read from the first cited sentence.")
    trace: dict[str, Any] | None = Field(
        default=None, description="How the answer came about (retrieved passages, removed sentences and why, "
                                  "timings). Only with ?trace=1 and the editors' token (RAG_ADMIN_TOKEN) "
                                  "as Authorization: Bearer TOKEN.")


class Error(BaseModel):
    error: str


def editor(request: Request, settings: Settings) -> bool:
    """True when the request carries the editors' token (constant-time compare); never without one set."""
    token = settings.admin_token.reveal() if settings.admin_token else ""
    sent = request.headers.get("authorization", "")
    scheme, _, value = sent.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def api_app(explainer: Explainer, settings: Settings, questions: QuestionLog | None = None) -> FastAPI:
    """The JSON API, mounted at /api: its own 404/405s and error shape, whatever the chat does."""
    app = FastAPI(title="Newsroom explainer API", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Cited answers from the newsroom's coverage. The chat page is at /.")
    gate = threading.BoundedSemaphore(max(1, settings.workers))
    errors = {400: {"model": Error}, 401: {"model": Error}, 413: {"model": Error}, 422: {"model": Error},
              429: {"model": Error}, 503: {"model": Error}}

    @app.post("/ask", response_model=AnswerOut, response_model_exclude_none=True, responses=errors, tags=["api"],
              summary="Answer a question from the coverage, with verbatim cited quotes")
    def ask(body: AskRequest, request: Request, trace: bool = False):
        # A trace holds text the checker withheld (a model's invented or injected sentences): editors only.
        if trace and not editor(request, settings):
            return _error(401, "?trace=1 needs the editors' token: send Authorization: Bearer $RAG_ADMIN_TOKEN "
                               "(traces are off when RAG_ADMIN_TOKEN is not set).",
                          {"www-authenticate": "Bearer"})
        cap = settings.max_question_chars
        if len(body.question) > cap:
            return _error(413, f"Questions are limited to {cap} characters; this one has {len(body.question)}. "
                               "Shorten it and ask again.")
        if not gate.acquire(timeout=10):  # waiting requests hold threads the chat needs too: fail fast
            return _error(503, "The service is busy. Try again in a few seconds.", {"retry-after": "5"})
        try:
            answer = explainer.ask(body.question, history=body.history)
        except BadQuestion as e:
            return _error(422, str(e))
        except RagError as e:
            log.error("api: %s", e)
            return _error(503, "Answers are unavailable right now. Try again later.")
        finally:
            gate.release()
        if questions:
            questions.record(body.question, answer)
        return answer.to_dict(trace=trace)

    @app.get("/health", tags=["api"], summary="Store and model state",
             responses={503: {"description": "The store is empty or cannot be read"}})
    def health():
        try:
            h = explainer.health()
        except Exception as e:  # noqa: BLE001 - health must answer, whatever broke
            log.error("health: %s", e)
            return JSONResponse({"ok": False, "error": "the store cannot be read"}, status_code=503)
        out = {"ok": bool(h.get("ok")),
               "store": {"articles": h.get("articles", 0), "chunks": h.get("chunks", 0),
                         "generation": h.get("generation")},
               "models": {"embed_model": h.get("embed_model"), "backend": h.get("backend"), "loaded": True}}
        return JSONResponse(out, status_code=200 if out["ok"] else 503)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        if any(e.get("type") in ("json_invalid", "missing") and tuple(e.get("loc", ())) == ("body",) for e in errs) \
                or any(e.get("type") == "json_invalid" for e in errs):
            return _error(400, 'The body must be JSON like {"question": "...", "history": []}.')
        where = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ())[1:]) or 'body'}: {e.get('msg', 'invalid')}"
                          for e in errs[:5])
        return _error(422, f'Send a JSON object like {{"question": "...", "history": []}} ({where}).')

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = {404: "No such API endpoint; see /api/docs.", 405: "Method not allowed; see /api/docs."}.get(
            exc.status_code, "The request could not be read; send JSON like {\"question\": \"...\"}.")
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    _add_docs(app)
    return app


def _add_docs(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package: the docs page loads nothing from a CDN."""
    import re
    from importlib import resources

    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="swagger-assets")
    # Swagger UI's page has no lang, no main landmark, an unnamed select, nested links and low-contrast
    # labels; rag/assets/api_docs_head.html mends what Swagger UI leaves to the page.
    mend = (resources.files("rag") / "assets" / "api_docs_head.html").read_text(encoding="utf-8")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request):
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json", title="Newsroom explainer API",
            swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/favicon-32x32.png",
            # no deep links: they are links nested inside Swagger UI's expand buttons
            swagger_ui_parameters={"validatorUrl": None, "deepLinking": False})
        html = re.sub(r"<html>", '<html lang="en">', page.body.decode(), count=1)
        html = re.sub(r'<div id="swagger-ui">\s*</div>', '<main id="swagger-ui"></main>', html, count=1)
        return HTMLResponse(html.replace("</head>", mend + "</head>", 1))


# --------------------------------------------------------------------------- the app


def _open_while_importing(settings: Settings):
    """Open the store and load the models (and the spaCy pipeline the first question needs) on a
    thread while the caller imports gradio: the two are the cold start, and much of each waits on
    disk or runs in native code outside the GIL. Returns a function giving the Explainer (or raising
    what opening raised)."""
    box: dict = {}

    def work():
        try:
            box["bot"] = Explainer.open(settings)
            from .nlp import pipeline

            pipeline()  # the first question would otherwise load it (~1.3 s) after "ready"
        except BaseException as e:  # re-raised in the caller's thread, with its own traceback
            box["error"] = e

    t = threading.Thread(target=work, name="rag-open", daemon=True)
    t.start()

    def result() -> Explainer:
        t.join()
        if "error" in box:
            raise box["error"]
        return box["bot"]
    return result


def create_app(settings: Settings | None = None, explainer: Explainer | None = None) -> FastAPI:
    """The whole server as one ASGI app; opens the store and models unless `explainer` is given."""
    settings = settings or Settings.from_env()
    opened = _open_while_importing(settings) if explainer is None else None
    import gradio as gr

    from .admin import router as admin_router
    from .chat import CSS, HEAD, Chat

    explainer = explainer or opened()
    limiter = RateLimiter(settings.rate_per_min, settings.rate_burst)
    feedback = FeedbackLog(database_url(settings))
    questions = QuestionLog.open(settings)  # the editors' question log (rag/analytics/), /admin reads it

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings, app.state.explainer, app.state.limiter, app.state.feedback = settings, explainer, limiter, feedback
    app.mount("/api", api_app(explainer, settings, questions))
    app.include_router(admin_router(explainer, settings, feedback, questions))

    chat = Chat(explainer, settings, feedback, limiter, questions)
    page = dict(footer_links=[], run_history=False, ssr_mode=False, pwa=False, mcp_server=False,
                enable_monitoring=False, max_file_size=MAX_UPLOAD, show_error=False, css=CSS, head=HEAD,
                server_name=settings.host, server_port=settings.port)

    @app.get("/embed", include_in_schema=False)
    def embed_slash():
        return RedirectResponse("/embed/", status_code=307)

    gr.mount_gradio_app(app, chat.blocks(embed=True), path="/embed", **page)
    gr.mount_gradio_app(app, chat.blocks(embed=False), path="/", **page)
    app.add_middleware(Guard, settings=settings, limiter=limiter)
    return app


def serve(settings: Settings) -> None:
    """Load everything, then serve until interrupted; prints the URL once the port is open."""
    import uvicorn

    t0 = time.perf_counter()
    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started:
                print(f"Chat ready at {url} (embed: {url}embed/, API: {url}api/docs) "
                      f"after {time.perf_counter() - t0:.1f}s", flush=True)

    # Open chat streams would hold a graceful shutdown forever; give them a few seconds.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            server_header=False, timeout_keep_alive=5, timeout_graceful_shutdown=3)
    Server(config).run()

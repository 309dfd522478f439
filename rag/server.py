"""One server for readers and tools: the chat at `/`, an iframe variant at `/embed/`, the one-line
script embed at `/embed.js`, the JSON API under `/api`.

    app = create_app(Settings.from_env())      # or create_app(settings, explainer) to share loaded models
    serve(settings)                             # uvicorn on settings.host:settings.port

`rag.guard.Guard` wraps everything: security headers, CORS for `/api` from the allow-list only, the
body cap and the rate limit (see that module).
"""
from __future__ import annotations

import hmac
import logging
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import _offline  # noqa: F401
from .config import Settings, parse_origins
from .embed import add_script_route, frame_head
from .errors import BadQuestion, RagError
from .explainer import Explainer
from .analytics import QuestionLog, database_url
from .feedback import FeedbackLog
from .guard import Guard, content_security_policy  # noqa: F401 - content_security_policy: its old home
from .limits import RateLimiter

log = logging.getLogger("rag")

MAX_UPLOAD = "1kb"  # no upload component, and Guard refuses the upload route; a second line of defence


# --------------------------------------------------------------------------- JSON API


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "What is Anthropic accusing Alibaba of?", "history": []}]})

    question: str = Field(description="The reader's question (at most RAG_MAX_QUESTION_CHARS characters).")
    history: list[dict[str, Any] | list[Any]] | None = Field(
        default=None, description='Earlier turns, oldest first: {"question", "answer"} objects, '
                                  '{"role", "content"} chat messages, or [question, answer] pairs.')
    article: str = Field(default="",
                         description="The story the question is asked from (its canonical URL or id), as an "
                                     "embed's data-article: retrieval prefers it, and the notice says when the "
                                     "answer also cites other articles. An unknown article is ignored.")


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
    lead: str = Field(default="", description="Our own fixed wording to show before `answer`, about its first "
                                              "citation: the date a dated or present-tense answer stands as of "
                                              "(\"As of 8 February 2023:\"), then for a yes/no question the answer "
                                              "in plain words (\"No.\", \"Not so far.\", \"Carrow says no.\") or "
                                              "\"Not disclosed so far.\" / \"Not known so far.\" before a sentence "
                                              "saying the asked thing is not known; empty otherwise.")
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
            answer = explainer.ask(body.question, history=body.history, prefer_doc=body.article)
        except BadQuestion as e:
            return _error(422, str(e))
        except RagError as e:
            log.error("api: %s", e)
            return _error(503, "Answers are unavailable right now. Try again later.")
        finally:
            gate.release()
        if questions:
            questions.record(body.question, answer, article=explainer.article_id(body.article))
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

    origins = parse_origins(settings.allowed_origins)
    add_script_route(app, origins)  # /embed.js, before the chat's catch-all mount at /
    gr.mount_gradio_app(app, chat.blocks(embed=True), path="/embed", **{**page, "head": HEAD + frame_head(origins)})
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

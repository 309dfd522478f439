"""The editors' page at /admin: what readers asked, the coverage gaps, the disliked answers.

    app.include_router(router(explainer, settings, feedback, questions))

Everything with data needs the editors' token (RAG_ADMIN_TOKEN) as
`Authorization: Bearer TOKEN`, compared in constant time (rag.server.editor): the
page's script sends the token a reader typed once (kept in sessionStorage, never a
cookie or a URL). Without a token configured the page says so and the API answers
403. The paths are not under /api, so the server's CORS allow-list never covers
them (rag.guard.Guard strips any CORS header elsewhere).
"""
from __future__ import annotations

import threading
import time
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..analytics import QuestionLog
from ..analytics.groups import QuestionVectors
from ..analytics.report import TABLES, build, parse_since, table, to_csv
from ..config import Settings
from ..errors import RagError
from ..explainer import Explainer
from ..feedback import FeedbackLog
from . import page

ASSETS = resources.files("rag") / "assets"  # admin.js, admin.css beside the chat's
PRIVATE = {"cache-control": "no-store", "x-frame-options": "DENY"}
OFF = ("The editors' page is off: set RAG_ADMIN_TOKEN to a long random value and restart the server.")
DENIED = ("Send the editors' token as Authorization: Bearer $RAG_ADMIN_TOKEN (on the page: enter it once).")


def router(explainer: Explainer, settings: Settings, feedback: FeedbackLog, questions: QuestionLog) -> APIRouter:
    from ..server import editor  # the one token check (server imports this module inside create_app)

    r = APIRouter(include_in_schema=False)
    vectors = QuestionVectors(explainer.embedder.documents)
    articles = _Articles(explainer)

    def refuse(request: Request) -> Response | None:
        if not settings.admin_token:
            return JSONResponse({"error": OFF}, 403, headers=PRIVATE)
        if not editor(request, settings):
            return JSONResponse({"error": DENIED}, 401, headers={**PRIVATE, "www-authenticate": "Bearer"})
        return None

    def report(request: Request):
        since = parse_since(request.query_params.get("since", "7d"))
        article = request.query_params.get("article", "")[:300]
        return build(questions, feedback, vectors, since=since, article=article)

    @r.get("/admin")
    def admin_page(request: Request):
        if not settings.admin_token:
            return HTMLResponse(page.disabled(), 403, headers=PRIVATE)
        # The shell holds no data, so it is served either way; 401 says the data needs the token.
        status = 200 if editor(request, settings) else 401
        return HTMLResponse(page.shell(settings.title), status, headers={**PRIVATE, "www-authenticate": "Bearer"})

    @r.get("/admin/")
    def admin_slash():
        return RedirectResponse("/admin", status_code=307)

    @r.get("/admin/admin.js")
    def script():
        return Response((ASSETS / "admin.js").read_text(encoding="utf-8"), media_type="text/javascript",
                        headers={"cache-control": "no-cache"})

    @r.get("/admin/admin.css")
    def style():
        return Response((ASSETS / "admin.css").read_text(encoding="utf-8"), media_type="text/css",
                        headers={"cache-control": "no-cache"})

    @r.get("/admin/api/report")
    def report_json(request: Request):
        if (denied := refuse(request)) is not None:
            return denied
        try:
            rep = report(request)
        except RagError as e:
            return JSONResponse({"error": str(e)}, 400, headers=PRIVATE)
        titles = articles.titles()
        out = rep.to_dict()
        out["logging"] = settings.analytics
        out["articles"] = [{"id": k, "title": v} for k, v in titles.items()]
        out["html"] = page.fragments(rep, titles)
        return JSONResponse(out, headers=PRIVATE)

    @r.get("/admin/api/{name}.csv")
    def report_csv(name: str, request: Request):
        if (denied := refuse(request)) is not None:
            return denied
        if name not in TABLES:
            return JSONResponse({"error": f"No table {name!r}; the tables are {', '.join(TABLES)}."}, 404,
                                headers=PRIVATE)
        try:
            rep = report(request)
        except RagError as e:
            return JSONResponse({"error": str(e)}, 400, headers=PRIVATE)
        stamp = time.strftime("%Y%m%d", time.gmtime(rep.until))
        return Response(to_csv(*table(rep, name)), media_type="text/csv; charset=utf-8", headers={
            **PRIVATE, "content-disposition": f'attachment; filename="{name}-{stamp}.csv"'})

    return r


class _Articles:
    """Article ids and titles for the article filter, read again when the store changes."""

    def __init__(self, explainer: Explainer):
        self.explainer, self._gen, self._titles = explainer, None, {}
        self._lock = threading.Lock()

    def titles(self) -> dict[str, str]:
        gen = self.explainer.store.generation()
        with self._lock:
            if gen != self._gen:
                self._titles = {a.doc_id: a.title for a in self.explainer.store.articles()}
                self._gen = gen
            return dict(self._titles)

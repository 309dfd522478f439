"""The one-line embed: `/embed.js`, and what the embed page (`/embed/`) adds for it.

    <script src="https://CHAT/embed.js" data-article="https://news.example/story" async></script>

`rag/assets/embed.js` runs on the newsroom's page: it checks that page's origin against the allow-list
rendered into it here, then puts `/embed/?article=...` in an iframe and sizes it to what the frame
reports. `rag/assets/frame.js`, inlined in the embed page's head, reports the height only to the
parent origin it was told, when that origin is allow-listed and is really its parent, and applies the
theme settings (accent, font, compact) after checking each against a strict pattern.

Both scripts read the same list as the `frame-ancestors` policy and `/api`'s CORS (RAG_ALLOWED_ORIGINS),
so a site the server would refuse to be framed by is refused by the script first, with a console
warning instead of a broken frame.
"""
from __future__ import annotations

import hashlib
import json
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import Response

SCRIPT_PATH = "/embed.js"
# Short: a change to RAG_ALLOWED_ORIGINS reaches pages within minutes; the ETag makes a recheck one 304.
SCRIPT_CACHE = "public, max-age=300"
_ASSETS = resources.files("rag") / "assets"
_SLOT = "__RAG_ALLOWED__"  # where each script's copy of the allow-list goes


def _with_origins(asset: str, origins: tuple[str, ...]) -> str:
    text = (_ASSETS / asset).read_text(encoding="utf-8")
    assert text.count(_SLOT) == 1, f"{asset} must name {_SLOT} once"
    # Origins are validated (rag.config.parse_origins) and hold no '<'; escaping it keeps a
    # "</script>" from ever closing the inline copy early, whatever the list says.
    return text.replace(_SLOT, json.dumps(list(origins)).replace("<", "\\u003c"))


def script(origins: tuple[str, ...]) -> str:
    """embed.js with the allow-list in it."""
    return _with_origins("embed.js", origins)


def frame_head(origins: tuple[str, ...]) -> str:
    """What the embed page's <head> adds to the chat's: frame.js with the allow-list in it."""
    return "<script>" + _with_origins("frame.js", origins) + "</script>"


def add_script_route(app: FastAPI, origins: tuple[str, ...]) -> None:
    """GET/HEAD /embed.js: JavaScript, cacheable, revalidated by ETag. rag.guard.Guard lets other
    origins load it (CORP cross-origin, CORS *): it is the same public file for everyone."""
    body = script(origins).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {"cache-control": SCRIPT_CACHE, "etag": etag}

    @app.api_route(SCRIPT_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    def embed_script(request: Request):
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

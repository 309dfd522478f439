"""`rag embed-serve`: a small OpenAI-compatible `/v1/embeddings` service on the local encoder.

One embedding process shared by several app replicas (RAG_EMBED_URL), and the real server the
remote encoder is tested against. For heavy traffic a dedicated server (Infinity,
text-embeddings-inference, vLLM) serving the same model does the same job; see docs/scaling.md.
Standard library HTTP on purpose: nothing to install beyond what the app already has.
"""
from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 4 * 1024 * 1024  # a batch of 64 long chunks is ~100 KB; anything near this is not a client of ours
MAX_INPUTS = 2048  # OpenAI's own cap per request


def make_server(embedder, host: str, port: int, model: str) -> ThreadingHTTPServer:
    """A threaded HTTP server answering POST /v1/embeddings with `embedder.documents`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # one line per request on stderr would drown the app's own logs
            pass

        def _reply(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path in ("/health", "/v1/models"):
                return self._reply(200, {"object": "list", "data": [{"id": model, "object": "model"}]})
            self._reply(404, {"error": {"message": "not found"}})

        def do_POST(self):
            if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
                return self._reply(404, {"error": {"message": "POST /v1/embeddings"}})
            try:
                size = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                size = -1
            if not 0 < size <= MAX_BODY:
                self.close_connection = True
                return self._reply(413 if size > MAX_BODY else 411, {"error": {"message": "body size"}})
            try:
                req = json.loads(self.rfile.read(size))
                texts = req["input"]
                texts = [texts] if isinstance(texts, str) else texts
                if not (isinstance(texts, list) and 0 < len(texts) <= MAX_INPUTS
                        and all(isinstance(t, str) for t in texts)):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return self._reply(400, {"error": {"message": f"input: a string or a list of 1-{MAX_INPUTS} strings"}})
            vectors = embedder.documents(texts)
            self._reply(200, {"object": "list", "model": model, "usage": {"prompt_tokens": 0, "total_tokens": 0},
                              "data": [{"object": "embedding", "index": i, "embedding": v}
                                       for i, v in enumerate(vectors)]})

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(settings, host: str, port: int) -> int:
    from . import Embedder

    if settings.embed_url:
        print("error: RAG_EMBED_URL is set: this process would forward to another service. Unset it here.",
              file=sys.stderr)
        return 2
    embedder = Embedder.from_settings(settings)
    server = make_server(embedder, host, port, settings.embed_remote_model)
    print(f"Embeddings ready at http://{host}:{server.server_address[1]}/v1 "
          f"({embedder.model_id}, {embedder.dim} dimensions)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def serve_in_thread(embedder, model: str = "test") -> tuple[ThreadingHTTPServer, str]:
    """For tests and benchmarks: the service on a free port in this process; returns (server, base URL)."""
    server = make_server(embedder, "127.0.0.1", 0, model)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"

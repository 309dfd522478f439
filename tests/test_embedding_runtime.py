"""The embedding runtimes: ONNX (default) gives torch's vectors; the store knows which wrote it; the
export is made once and safely; a remote OpenAI-compatible service is batched, retried and checked."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from conftest import CORPUS, ROOT, build_store
from rag.embedding import Embedder
from rag.embedding.encoders import OnnxEncoder, TorchEncoder
from rag.embedding.export import ensure, onnx_path
from rag.embedding.remote import RemoteEncoder
from rag.embedding.service import serve_in_thread
from rag.errors import EmbedServiceError, ModelMissing, StoreMismatch

LONG = " ".join(["Anthropic said Alibaba illicitly accessed its Claude models through third-party accounts."] * 40)


def _texts() -> list[str]:
    text = next(CORPUS.glob("*.md")).read_text(encoding="utf-8")
    parts = [p.strip() for p in text.replace("\n", " ").split(". ") if len(p.strip()) > 15]
    return parts[:40] + ["", "a", "Ünïcödé — “quotes” 1,500,000,000 $", LONG]


@pytest.fixture(scope="module")
def torch_encoder(settings):
    return TorchEncoder(Path(settings.embed_model))


def test_onnx_vectors_are_torchs_vectors(embedder, torch_encoder):
    """Same model, same pooling, same truncation (a text far past 256 tokens included)."""
    texts = _texts()
    onnx = np.asarray(embedder.documents(texts))
    torch = torch_encoder.encode(texts)
    cos = (onnx * torch).sum(1)
    assert isinstance(embedder.encoder, OnnxEncoder)
    assert cos.min() > 0.9999, [(t[:40], c) for t, c in zip(texts, cos) if c <= 0.9999]
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1, atol=1e-4)
    # the query path and the document path agree
    assert np.allclose(embedder.query(texts[0]), onnx[0], atol=1e-5)


def test_store_records_which_runtime_wrote_it(tmp_path, settings, embedder):
    """Vectors of another runtime are not mixed in: opening with torch is a settings change (the same
    StoreMismatch as a changed model folder, which `rag ingest` turns into a rebuild: test_hardening_faults)."""
    build_store(tmp_path / "store", embedder)
    assert embedder.model_id.endswith("/onnx-fp32")
    from rag import Explainer

    with pytest.raises(StoreMismatch) as e:
        Explainer.open(replace(settings, store_dir=tmp_path / "store", embed_runtime="torch"))
    assert "embed_model" in str(e.value) and "/torch" in str(e.value) and "/onnx-fp32" in str(e.value)


def test_export_once_from_two_processes_at_once_and_int8(tmp_path, settings):
    """A fresh cache: two processes start together; one exports, the other waits and reuses the file."""
    code = ("import sys; from pathlib import Path; from rag.embedding.export import ensure; "
            f"print(ensure(Path({settings.embed_model!r}), Path(sys.argv[1]), 'fp32'))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-1500:] for o in outs]
    target = onnx_path(Path(settings.embed_model), tmp_path, "fp32")
    assert {o[0].strip() for o in outs} == {str(target)}
    assert sum("exporting" in o[1] for o in outs) == 1  # the second one found the file made by the first
    assert [p.name for p in target.parent.iterdir() if p.name != ".lock"] == ["fp32.onnx"]  # no temp left
    # int8 is derived from the fp32 file: close to it, not equal (docs/benchmarks.md says what it costs)
    q = OnnxEncoder(Path(settings.embed_model), ensure(Path(settings.embed_model), tmp_path, "int8"), "int8")
    f = OnnxEncoder(Path(settings.embed_model), target, "fp32")
    texts = _texts()[:20]
    cos = (q.encode(texts) * f.encode(texts)).sum(1)
    assert 0.85 < cos.mean() < 0.9999 and q.tag == "onnx-int8"


def test_a_damaged_export_says_which_file_to_delete(tmp_path, settings):
    target = onnx_path(Path(settings.embed_model), tmp_path, "fp32")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a model")
    with pytest.raises(ModelMissing) as e:
        Embedder(settings.embed_model, cache_dir=tmp_path)
    assert str(target) in str(e.value) and "Delete that file" in str(e.value)


def test_remote_service_gives_the_local_vectors_and_serves_ingest_and_ask(tmp_path, settings, embedder):
    server, url = serve_in_thread(embedder, model=settings.embed_remote_model)
    try:
        remote = Embedder.from_settings(replace(settings, embed_url=url))
        texts = _texts()[:70] * 2  # more than one request's batch
        assert np.allclose(remote.documents(texts), embedder.documents(texts), atol=1e-5)
        assert remote.model_id == f"remote:{settings.embed_remote_model}" and remote.dim == embedder.dim
        store, report = build_store(tmp_path / "store", remote)
        assert report.chunks_embedded > 0
        from conftest import make_bot

        a = make_bot(store, remote).ask("What is Anthropic accusing Alibaba of?")
        assert not a.refused and a.citations
    finally:
        server.shutdown()


class _Flaky(BaseHTTPRequestHandler):
    """Fails as real services do under load: 503, then a dropped connection, then answers."""
    calls = 0
    script = ["503", "drop", "ok"]

    def log_message(self, *a):
        pass

    def do_POST(self):
        step = type(self).script[min(type(self).calls, len(type(self).script) - 1)]
        type(self).calls += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if step == "drop":
            self.connection.close()
            return
        if step == "ok":
            data = json.dumps({"data": [{"index": i, "embedding": [3.0, 4.0]} for i in
                                        reversed(range(len(body["input"])))]}).encode()
            code = 200
        else:
            data, code = b'{"error": "busy"}', int(step)
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _serve(handler):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/v1"


def test_remote_retries_then_normalises_and_orders_by_index():
    _Flaky.calls, _Flaky.script = 0, ["503", "drop", "ok"]
    srv, url = _serve(_Flaky)
    try:
        v = RemoteEncoder(url, "m", timeout=5, backoff=0.01).encode(["a", "b"])
        assert _Flaky.calls == 3 and np.allclose(v, [[0.6, 0.8], [0.6, 0.8]])
    finally:
        srv.shutdown()


def test_remote_gives_up_with_a_clear_error():
    _Flaky.calls, _Flaky.script = 0, ["503"]
    srv, url = _serve(_Flaky)
    try:
        with pytest.raises(EmbedServiceError) as e:
            RemoteEncoder(url, "m", timeout=5, backoff=0.01).encode(["a"])
        assert "HTTP 503 after 4 attempts" in str(e.value) and "RAG_EMBED_URL" in str(e.value)
        _Flaky.calls, _Flaky.script = 0, ["400"]
        with pytest.raises(EmbedServiceError):  # a client error is not retried
            RemoteEncoder(url, "m", timeout=5, backoff=0.01).encode(["a"])
        assert _Flaky.calls == 1
    finally:
        srv.shutdown()


def test_embed_serve_command_answers_openai_clients(tmp_path):
    """`rag embed-serve` as its own process, and a request an OpenAI client would send."""
    import httpx

    from rag._testing import free_port, start

    port = free_port()
    proc = start([sys.executable, "-m", "rag", "embed-serve", "--port", str(port)], port, ready="/health",
                 log=tmp_path / "embed.log")
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/v1/embeddings", json={"model": "x", "input": "hello"}, timeout=30)
        assert r.status_code == 200 and len(r.json()["data"][0]["embedding"]) == 384
        bad = httpx.post(f"http://127.0.0.1:{port}/v1/embeddings", json={"input": [1, 2]}, timeout=30)
        assert bad.status_code == 400 and "input" in bad.json()["error"]["message"]
    finally:
        proc.stop()

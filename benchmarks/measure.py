"""Measurements, each run in a fresh child process (so peak RSS and cold caches are its own).

    python benchmarks/measure.py ingest|floor|ask|llamaindex '{"json": "args"}' OUT.json

`run.py` calls these; they are usable alone when chasing one number.
"""
from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path

T_START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401  (offline switches first)
from rag._testing import percentile  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary_ms(values: list[float]) -> dict:
    ms = [x * 1000 for x in values]
    return {"median_ms": statistics.median(ms), "p95_ms": percentile(ms, 95), "n": len(ms)}


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


# --------------------------------------------------------------------------- ingest


def ingest(corpus: str, store: str, change: str = "", random_vectors: bool = False) -> dict:
    """Fresh ingest, unchanged re-ingest, then one changed article (`change`: a file to append to).

    `random_vectors` (the scale probe) stores random unit vectors instead of running the model, to time
    everything else (loading, chunking, Chroma writes, re-ingest, memory) at sizes the model cannot
    embed within a session on this machine.
    """
    from rag.config import Settings
    from rag.embedding import Embedder
    from rag.ingest import ingest as run_ingest
    from rag.store import Store

    s = Settings.from_env()
    embedder = Embedder.from_settings(s)
    spent = {"embed_s": 0.0}
    documents = embedder.documents
    if random_vectors:
        import numpy as np

        rng = np.random.default_rng(0)

        def documents(texts):
            v = rng.standard_normal((len(texts), embedder.dim)).astype(np.float32)
            return (v / np.linalg.norm(v, axis=1, keepdims=True)).tolist()

    def timed(texts):
        t = time.perf_counter()
        try:
            return documents(texts)
        finally:
            spent["embed_s"] += time.perf_counter() - t

    embedder.documents = timed
    st = Store.open(store, create=True)
    out: dict = {}
    r = run_ingest([Path(corpus)], st, embedder)
    out["ingest"] = {"seconds": r.seconds, "articles": len(r.added), "chunks": r.chunks_embedded,
                     "sentences": r.sentences_embedded, "chunks_per_s": r.chunks_embedded / r.seconds,
                     "embed_s": spent["embed_s"]}
    out["store_mb"] = folder_mb(Path(store))
    r = run_ingest([Path(corpus)], st, embedder)
    out["reingest_unchanged"] = {"seconds": r.seconds, "unchanged": len(r.unchanged), "chunks": r.chunks_embedded}
    if change:
        path = Path(change)
        original = path.read_text(encoding="utf-8")
        try:
            path.write_text(original + "\nA late update added this sentence to one article for the benchmark.\n",
                            encoding="utf-8")
            spent["embed_s"] = 0.0
            r = run_ingest([Path(corpus)], st, embedder)
        finally:
            path.write_text(original, encoding="utf-8")
        out["reingest_one_changed"] = {"seconds": r.seconds, "updated": len(r.updated), "unchanged": len(r.unchanged),
                                       "chunks": r.chunks_embedded, "embed_s": spent["embed_s"]}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# --------------------------------------------------------------------------- the model's own encode time


def floor(store: str, torch_reference: bool = True) -> dict:
    """The model alone on exactly the stored chunks, then on chunks plus their quotable sentences (what
    ingest embeds): with the configured runtime (ONNX by default: the floor ingest is held to), and with
    torch's sentence-transformers for reference."""
    from rag.config import Settings
    from rag.embedding import Embedder
    from rag.embedding.encoders import TorchEncoder
    from rag.store import Store
    from rag.text import quotable_sentences

    texts = [c.text for _, c in Store.open(store).current_chunks()]
    sentences = list(dict.fromkeys(s for t in texts for s in quotable_sentences(t)))
    s = Settings.from_env()
    enc = Embedder.from_settings(s).encoder
    enc.encode(texts[:32])
    t = time.perf_counter()
    enc.encode(texts)
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    enc.encode(texts + sentences)
    with_sentences = time.perf_counter() - t
    out = {"runtime": enc.tag, "chunks": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds,
           "batch": getattr(enc, "batch_size", 0), "sentences": len(sentences), "with_sentences_s": with_sentences}
    if torch_reference and len(texts) <= 5000:  # the reference ratio is the same at any size; skip the hour
        tenc = TorchEncoder(Path(s.embed_model))
        tenc.encode(texts[:32])
        t = time.perf_counter()
        tenc.encode(texts)
        out["torch_seconds"] = time.perf_counter() - t
    return out


# --------------------------------------------------------------------------- asking


def ask(store: str, questions: list[str], warmup: list[str], first_question: str = "") -> dict:
    """Warm in-process ask latency beside the query-embedding time alone, interleaved, plus peak RSS."""
    from rag.explainer import Explainer

    t = time.perf_counter()
    bot = Explainer.open(store_dir=Path(store))
    open_s = time.perf_counter() - t
    if first_question:
        bot.ask(first_question)
    first_answer_s = time.perf_counter() - T_START
    from rag.embedding.encoders import TorchEncoder

    # The floors, interleaved with the asks (load drifts): torch's sentence-transformers embedding one
    # query (what the ratio is against), and the configured runtime's own encoder alone.
    rss_before_torch = peak_rss_mb()
    torch_model = TorchEncoder(Path(bot.settings.embed_model))
    runtime = bot.embedder.encoder
    for q in warmup:
        bot.ask(q)
        torch_model.encode([q])
        runtime.encode([q])
    embed, own, asks, refused = [], [], [], 0
    stages: dict[str, list[float]] = {}
    for q in questions:
        t = time.perf_counter()
        torch_model.encode([q])
        embed.append(time.perf_counter() - t)
        t = time.perf_counter()
        runtime.encode([q])
        own.append(time.perf_counter() - t)
        t = time.perf_counter()
        a = bot.ask(q)
        asks.append(time.perf_counter() - t)
        refused += a.refused
        for k, v in a.trace.timings.items():
            if k.endswith("_ms"):
                stages.setdefault(k[:-3], []).append(v / 1000)
    repeat = []
    for q in questions:  # the same questions again: served by the answer cache
        t = time.perf_counter()
        bot.ask(q)
        repeat.append(time.perf_counter() - t)
    return {"open_s": open_s, "first_answer_s": first_answer_s, "embed": summary_ms(embed),
            "runtime_embed": summary_ms(own), "runtime": runtime.tag, "ask": summary_ms(asks),
            "stages": {k: summary_ms(v) for k, v in stages.items()},
            "ask_repeat": summary_ms(repeat), "refused": refused, "chunks": bot.store.count()["chunks"],
            "peak_rss_mb": rss_before_torch}


def limit(store: str, questions: list[str], threads: int = 2, seconds: float = 20.0) -> dict:
    """The bare query path (embed a question, search) in a tight loop on `threads` threads: the
    throughput the embedding and retrieval work alone allows, which the HTTP server is compared with.
    No caches: every pass embeds its question again."""
    import threading

    from rag.explainer import Explainer
    from rag.understand import understand

    bot = Explainer.open(store_dir=Path(store))
    enc, retr = bot.embedder.encoder, bot.retriever
    done = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def work(k: int):
        i = k
        while time.perf_counter() < stop_at:
            q = questions[i % len(questions)]
            retr.search(q, 6, embedding=enc.encode([q])[0].tolist(), asked=understand(q))
            i += threads
            with lock:
                done[0] += 1

    t = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return {"threads": threads, "requests": done[0], "per_s": done[0] / (time.perf_counter() - t)}


# --------------------------------------------------------------------------- the plain LlamaIndex pipeline


def llamaindex(corpus: str, path: str, questions: list[str], warmup: list[str], top_k: int = 6) -> dict:
    """VectorStoreIndex over Chroma, same model, default splitter: from_documents, then retrieval only."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.config import Settings

    embed_model = HuggingFaceEmbedding(model_name=Settings().embed_model, device="cpu")
    client = chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))
    vs = ChromaVectorStore(chroma_collection=client.get_or_create_collection("plain"))
    t = time.perf_counter()
    docs = SimpleDirectoryReader(corpus, recursive=True, required_exts=[".md"]).load_data()
    index = VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=vs),
                                            embed_model=embed_model)
    ingest_s = time.perf_counter() - t
    nodes = client.get_collection("plain").count()
    retriever = index.as_retriever(similarity_top_k=top_k)
    model = embed_model._model
    for q in warmup:
        retriever.retrieve(q)
        model.encode([q], normalize_embeddings=True)
    times, embed = [], []
    for q in questions:  # the floor again, interleaved: machine load drifts between processes
        t = time.perf_counter()
        model.encode([q], normalize_embeddings=True)
        embed.append(time.perf_counter() - t)
        t = time.perf_counter()
        retriever.retrieve(q)
        times.append(time.perf_counter() - t)
    return {"ingest_s": ingest_s, "documents": len(docs), "chunks": nodes, "chunks_per_s": nodes / ingest_s,
            "retrieve": summary_ms(times), "embed": summary_ms(embed), "store_mb": folder_mb(Path(path)), "peak_rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    kind, args, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    result = {"ingest": ingest, "floor": floor, "ask": ask, "llamaindex": llamaindex, "limit": limit}[kind](**args)
    Path(out).write_text(json.dumps(result, indent=1))

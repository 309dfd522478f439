"""Benchmarks side by side with the plain LlamaIndex pipeline. One command:

    python benchmarks/run.py                       # sizes 1,100,1000,10000 (takes a while)
    python benchmarks/run.py --quick               # sizes 1,100, fewer questions: a minute or two
    python benchmarks/run.py --sizes 1,1000 --no-llamaindex

Prints a table, writes benchmarks/results/latest.json and latest.png (the chart only
when matplotlib is installed; it is not a dependency), and regenerates
docs/benchmarks.md (stating the machine it ran on). Size 1 is the
real bundled article; larger sizes use the SYNTHETIC corpus from synthetic.py,
generated into --work (a temp folder by default), never into corpus/.
Each measurement runs in its own process (measure.py), one at a time.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import http_load  # noqa: E402
import synthetic  # noqa: E402
from questions import real_questions  # noqa: E402


def child(kind: str, args: dict, work: Path, timeout: float = 7200) -> dict:
    out = work / f"{kind}-{time.time_ns()}.json"
    cmd = [sys.executable, str(HERE / "measure.py"), kind, json.dumps(args), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, timeout=timeout, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = f"{int(open('/proc/meminfo').readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import chromadb
    import llama_index.core
    import onnxruntime
    import sentence_transformers
    import torch

    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "chromadb": chromadb.__version__, "llama_index_core": llama_index.core.__version__,
            "sentence_transformers": sentence_transformers.__version__, "onnxruntime": onnxruntime.__version__,
            "embed_runtime": os.environ.get("RAG_EMBED_RUNTIME", "onnx") + "-" + os.environ.get("RAG_EMBED_PRECISION", "fp32"),
            "load_avg_start": list(os.getloadavg())}


def corpus_for(size: int, work: Path) -> tuple[Path, list[str], Path]:
    """(articles folder, questions, a file to change) for one size."""
    if size == 1:
        folder = work / "real" / "articles"
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(ROOT / "corpus", folder)
        return folder, real_questions(), next(folder.glob("*.md"))
    folder = synthetic.generate(work / f"synthetic-{size}", size)
    qs = [q["q"] for q in synthetic.questions(work / f"synthetic-{size}")]
    step = max(1, len(qs) // 100)
    return folder, qs[::step][:100], folder / "000" / "synthetic-000000.md"


def run_size(size: int, work: Path, n_questions: int, with_li: bool, log, probe: bool = False) -> dict:
    """One corpus size; `probe`: random vectors instead of the model at ingest (no floor, no LlamaIndex)."""
    folder, questions, change = corpus_for(size, work)
    questions = questions[:n_questions]
    warmup = [f"Tell me more: {q}" for q in questions[:5]]
    store = work / f"store-{size}"
    shutil.rmtree(store, ignore_errors=True)
    row: dict = {"size": size, "synthetic": size != 1, "questions": len(questions), "probe": probe}
    log(f"[{size}] ingest" + (" (random vectors)" if probe else ""))
    row["ingest"] = child("ingest", {"corpus": str(folder), "store": str(store), "change": str(change),
                                     "random_vectors": probe}, work)
    if probe or size > 1000:  # plain LlamaIndex ingest of 10,000 articles is an hour of the same model work
        with_li = False
    if not probe:
        log(f"[{size}] encode floor")
        row["floor"] = child("floor", {"store": str(store)}, work)
    log(f"[{size}] ask")
    row["ask"] = child("ask", {"store": str(store), "questions": questions, "warmup": warmup,
                              "first_question": questions[0]}, work)
    if with_li and importlib.util.find_spec("llama_index.vector_stores") is None:
        log(f"[{size}] plain LlamaIndex skipped: pip install -e '.[bench]' adds it")
        with_li = False
    if with_li:
        log(f"[{size}] plain LlamaIndex")
        li_dir = work / f"llamaindex-{size}"
        shutil.rmtree(li_dir, ignore_errors=True)
        row["llamaindex"] = child("llamaindex", {"corpus": str(folder), "path": str(li_dir), "questions": questions,
                                                 "warmup": warmup}, work)
        shutil.rmtree(li_dir, ignore_errors=True)
    row["cli_cold_start_s"] = cli_cold_start(store, questions[0], runs=1 if probe else 3)
    return row


def cli_cold_start(store: Path, question: str, runs: int = 3) -> float:
    """Process start to printed answer: `python -m rag ask`, median of a few runs."""
    env = {**os.environ, "RAG_STORE": str(store)}
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag", "ask", question, "--json"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# --------------------------------------------------------------------------- report


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def table(rows: list[dict]) -> list[list[str]]:
    out = [["articles", "chunks", "ask median / p95 ms", "torch query embed ms (floor)", "ask / floor",
            "runtime query embed ms", "ask stages ms (understand / embed / search / select / verify)",
            "refused (of questions)", "ask repeat ms (answer cache)", "LlamaIndex retrieve ms", "ask / LlamaIndex", "ingest chunks/s", "encode chunks/s",
            "ingest / encode chunks", "sentences stored; ingest / encode chunks+sentences", "LlamaIndex ingest chunks/s", "re-ingest unchanged s", "one changed: s, chunks",
            "open s", "serving peak RSS MB", "store MB", "CLI cold start s"]]
    for r in rows:
        a, f, ing, li = r["ask"], r.get("floor"), r["ingest"], r.get("llamaindex")
        ch = ing.get("reingest_one_changed", {})
        out.append([
            f"{r['size']:,}" + (" (synthetic, random vectors)" if r.get("probe") else
                                " (synthetic)" if r["synthetic"] else ""),
            f"{ing['ingest']['chunks']:,}",
            f"{a['ask']['median_ms']:.1f} / {a['ask']['p95_ms']:.1f}",
            f"{a['embed']['median_ms']:.1f}",
            ratio(a["ask"]["median_ms"], a["embed"]["median_ms"]),
            f"{a['runtime_embed']['median_ms']:.1f} ({a['runtime']})" if "runtime_embed" in a else "-",
            " / ".join(f"{a['stages'][k]['median_ms']:.1f}" if k in a.get("stages", {}) else "-"
                       for k in ("understand", "embed", "search", "select", "verify")),
            f"{a['refused']} ({a['ask']['n']})",
            f"{a['ask_repeat']['median_ms']:.1f}",
            f"{li['retrieve']['median_ms']:.1f} (floor {li['embed']['median_ms']:.1f})" if li else "-",
            (f"{ratio(a['ask']['median_ms'], li['retrieve']['median_ms'])}; each over its floor: "
             f"{ratio(a['ask']['median_ms'] / a['embed']['median_ms'], li['retrieve']['median_ms'] / li['embed']['median_ms'])}")
            if li else "-",
            f"{ing['ingest']['chunks_per_s']:.0f}",
            f"{f['chunks_per_s']:.0f} ({f.get('runtime', 'torch')}"
            + (f"; torch {f['chunks'] / f['torch_seconds']:.0f}" if f and f.get("torch_seconds") else "") + ")" if f else "-",
            ratio(ing["ingest"]["seconds"], f["seconds"]) if f else "-",
            f"{ing['ingest'].get('sentences', 0):,}; " + (ratio(ing['ingest']['seconds'], f.get('with_sentences_s'))
                                                          if f else f"model not run: {ing['ingest']['seconds']:.0f} s without it"),
            f"{li['chunks_per_s']:.0f} ({li['chunks']:,} chunks in {li['ingest_s']:.1f}s)" if li else "-",
            f"{ing['reingest_unchanged']['seconds']:.2f}",
            f"{ch.get('seconds', 0):.2f}, {ch.get('chunks', 0)}" if ch else "-",
            f"{a['open_s']:.2f}",
            f"{a['peak_rss_mb']:.0f}",
            f"{ing['store_mb']:.1f}",
            f"{r['cli_cold_start_s']:.1f}",
        ])
    return out


def http_table(http: list[dict]) -> list[list[str]]:
    out = [["articles", "server cold start s", "server peak RSS MB", "clients", "requests", "errors",
            "throughput /s", "p50 ms", "p95 ms"]]
    for h in http:
        for lv in h["levels"]:
            out.append([f"{h['size']:,}", f"{h['cold_start_s']:.1f}", f"{h['server_peak_rss_mb']:.0f}",
                        str(lv["clients"]), str(lv["requests"]), str(lv["errors"]) + (
                            f" ({', '.join(lv['error_kinds'])})" if lv["errors"] else ""),
                        f"{lv['throughput_per_s']:.1f}", f"{lv['p50_ms']:.0f}" if lv["p50_ms"] else "-",
                        f"{lv['p95_ms']:.0f}" if lv["p95_ms"] else "-"])
    return out


def plain(t: list[list[str]]) -> str:
    width = [max(len(r[j]) for r in t) for j in range(len(t[0]))]
    return "\n".join("  ".join(r[j].ljust(width[j]) for j in range(len(r))) for r in t)


def md_rows(t: list[list[str]]) -> str:
    lines = ["| " + " | ".join(t[0]) + " |", "|" + " --- |" * len(t[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in t[1:]])


def print_table(t: list[list[str]]) -> str:
    """Transposed (one column per corpus size) so it fits a terminal."""
    cols = [[t[0][i]] + [row[i] for row in t[1:]] for i in range(len(t[0]))]
    width = [max(len(c[j]) for c in cols) for j in range(len(cols[0]))]
    lines = ["  ".join(c[j].ljust(width[j]) for j in range(len(c))) for c in cols]
    return "\n".join(lines)


def markdown(t: list[list[str]]) -> str:
    cols = [[t[0][i]] + [row[i] for row in t[1:]] for i in range(len(t[0]))]
    head, *body = cols
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(c) + " |" for c in body]
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> bool:
    """Draw the latency and ingest charts into `path`; False (and nothing drawn) without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(sizes, [r["ask"]["ask"]["median_ms"] for r in rows], "o-", label="ask (median)")
    ax1.plot(sizes, [r["ask"]["ask"]["p95_ms"] for r in rows], "o--", label="ask (p95)")
    ax1.plot(sizes, [r["ask"]["embed"]["median_ms"] for r in rows], "s-", label="query embedding alone (floor)")
    if any("llamaindex" in r for r in rows):
        li_rows = [r for r in rows if "llamaindex" in r]
        ax1.plot([r["size"] for r in li_rows], [r["llamaindex"]["retrieve"]["median_ms"] for r in li_rows], "^-",
                 label="plain LlamaIndex retrieve (median)")
    ax1.set(xscale="log", xlabel="articles", ylabel="ms", title="Warm ask latency")
    ax1.legend(fontsize=8)
    real = [r for r in rows if "floor" in r]
    ax2.plot([r["size"] for r in real], [r["ingest"]["ingest"]["seconds"] for r in real], "o-", label="rag ingest")
    probes = [r for r in rows if r.get("probe")]
    if probes:
        ax2.plot([r["size"] for r in probes], [r["ingest"]["ingest"]["seconds"] for r in probes], "o:",
                 label="rag ingest without the model (random vectors)")
    ax2.plot([r["size"] for r in real], [r["floor"]["seconds"] for r in real], "s-",
             label="model encode of the chunks (floor)")
    ax2.plot([r["size"] for r in real], [r["floor"]["with_sentences_s"] for r in real], "s--",
             label="model encode of chunks + sentences")
    li_rows = [r for r in rows if "llamaindex" in r]
    if li_rows:
        ax2.plot([r["size"] for r in li_rows], [r["llamaindex"]["ingest_s"] for r in li_rows], "^-",
                 label="plain LlamaIndex from_documents")
    ax2.plot(sizes, [r["ingest"]["reingest_unchanged"]["seconds"] for r in rows], "d-", label="re-ingest unchanged")
    ax2.set(xscale="log", yscale="log", xlabel="articles", ylabel="seconds", title="Ingest time")
    ax2.legend(fontsize=8)
    fig.suptitle("Newsroom explainer benchmarks (sizes above 1 are a synthetic corpus)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


NO_PLOT = "(No chart: matplotlib is not installed. pip install matplotlib, then re-draw with --render.)"

BOUNDS = {
    "ask_floor": "each first-seen question runs the model once plus Chroma's HNSW query, BM25, the stored "
                 "vectors of the candidate sentences and the answer/citation checks (stages in the table)",
    "ask_li": "the plain pipeline returns passages only; ours also composes and checks a cited answer",
    "ingest": "besides the encoder: spaCy facts of every sentence, chunking, Chroma writes of chunks, "
              "sentence vectors and article records",
    "reingest": "unchanged files are not read (a stat each), but every article record is read back from Chroma",
    "http": "requests beyond the workers queue in front of the model; the limit is embed + search alone",
    "rss": "the model, the spaCy pipeline and the in-memory BM25 index with its chunk texts",
    "cold": "importing chromadb, spaCy and gradio, loading the models and opening the store",
}


def targets(result: dict) -> list[str]:
    """Each target of issue #14 as measured, met or not, and what bounds a missed one."""
    rows = {r["size"]: r for r in result["rows"]}  # a random-vector probe row stands for its size
    out = []

    def line(ok: bool, text: str, bound: str) -> None:
        out.append(f"{'met' if ok else 'MISSED'}: {text}" + ("" if ok else f" (bound: {BOUNDS[bound]})"))

    for size in sorted({min(rows), max(rows)}):
        r = rows[size]
        a, e = r["ask"]["ask"]["median_ms"], r["ask"]["embed"]["median_ms"]
        line(a <= 0.7 * e, f"warm ask median ≤ 0.7x torch embedding one query at {size:,} articles"
                           f"{' (random-vector probe)' if r.get('probe') else ''}: "
                           f"{a:.1f} ms vs {e:.1f} ms ({a / e:.2f}x)", "ask_floor")
        if "llamaindex" in r:
            li = r["llamaindex"]["retrieve"]["median_ms"]
            line(a <= 0.6 * li, f"warm ask median ≤ 0.6x a plain LlamaIndex retriever at {size:,}: "
                                f"{a:.1f} vs {li:.1f} ms ({a / li:.2f}x)", "ask_li")
    big = rows[max(rows)]
    measured = [r for r in result["rows"] if "floor" in r]
    if measured:
        m = max(measured, key=lambda r: r["size"])
        ing, fl = m["ingest"]["ingest"]["seconds"], m["floor"]["with_sentences_s"]
        line(ing <= 1.3 * fl, f"ingest ≤ 1.3x the bare encode of the same texts (chunks + sentences) at "
                              f"{m['size']:,}: {ing:.1f} s vs {fl:.1f} s ({ing / fl:.2f}x)", "ingest")
    un = big["ingest"]["reingest_unchanged"]["seconds"]
    line(max(rows) < 10000 or un < 2, f"unchanged re-ingest of {max(rows):,} articles < 2 s: {un:.2f} s"
         + (" (target is for 10,000)" if max(rows) < 10000 else ""), "reingest")
    ch = big["ingest"].get("reingest_one_changed", {})
    if ch:
        line(ch["updated"] == 1 and ch["seconds"] < 3, f"one changed article of {max(rows):,} < 3 s: {ch['seconds']:.2f} s, "
                                                       f"{ch['chunks']} chunks re-embedded", "reingest")
    rss = max([big["ask"]["peak_rss_mb"]] + [h["server_peak_rss_mb"] for h in result.get("http", [])
                                             if h["size"] == max(rows)])
    line(rss < 1536, f"serving peak RSS at {max(rows):,} articles: {rss:.0f} MB", "rss")
    for r in result["rows"]:
        if r["size"] in (min(rows), max(rows)) and r.get("cli_cold_start_s"):
            line(r["cli_cold_start_s"] <= 3, f"CLI rag ask on a warm store ({r['size']:,} articles) ≤ 3 s: "
                                             f"{r['cli_cold_start_s']:.2f} s", "cold")
    for h in result.get("http", []):
        line(h["cold_start_s"] <= 4, f"server ready, first answer served ({h['size']:,} articles) ≤ 4 s: "
                                     f"{h['cold_start_s']:.2f} s", "cold")
        lim = h.get("limit", {}).get("per_s")
        for lv in h["levels"]:
            if lv["clients"] == 50:
                share = lv["throughput_per_s"] / lim if lim else 0
                line(lv["errors"] == 0 and share >= 0.8,
                     f"50 concurrent clients ({h['size']:,} articles): {lv['throughput_per_s']:.1f} req/s = "
                     f"{share:.0%} of the bare embed+search limit {lim or 0:.1f} req/s, {lv['errors']} errors, "
                     f"p95 {lv['p95_ms'] or 0:.0f} ms", "http")
    return out


def write_doc(result: dict, t: list[list[str]], png: Path | None, doc: Path, command: str) -> None:
    m = result["machine"]
    extra = "\n".join(f"- {line}" for line in result.get("notes", []))
    goals = "\n".join(f"- {line}" for line in targets(result))
    http = result.get("http_md", "")
    text = f"""# Benchmarks

Regenerated by `{command}` on {result['finished']} (took {result['seconds'] / 60:.1f} min).
Size 1 is the real bundled article; larger sizes are a **synthetic** corpus (`benchmarks/synthetic.py`,
~3 chunks per article), never written into `corpus/`.

**Machine:** {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, {m['os']}; Python {m['python']}, torch {m['torch']}
({m['torch_threads']} threads), chromadb {m['chromadb']}, llama-index-core {m['llama_index_core']},
sentence-transformers {m['sentence_transformers']}, onnxruntime {m.get('onnxruntime', '-')}, embedding runtime {m.get('embed_runtime', 'torch')}{'; OMP_NUM_THREADS=' + result['omp_num_threads'] if result.get('omp_num_threads') else ''}. Load average at start {m['load_avg_start'][0]:.1f},
at end {result['load_avg_end'][0]:.1f} (other work on the machine makes absolute times noisy; compare ratios within one run).

## What is measured

- **ask**: `Explainer.ask` in process (understand the question, embed it, retrieve, extractive answer, citation
  check), warm (models loaded, five warm-up questions), over {result['rows'][0]['questions']}+ distinct questions each seen for the
  first time; its **stages** are the medians of the trace's own timings; **ask repeat** is the same questions
  again (served by the answer cache).
- **torch query embed (floor)**: sentence-transformers on torch encoding the question alone, interleaved with the
  asks (the floor the issue's ratio is against); **runtime query embed** is the configured runtime's encoder alone.
- **LlamaIndex retrieve**: the plain pipeline (`VectorStoreIndex` over Chroma, same model on torch, default splitter,
  `as_retriever(similarity_top_k=6).retrieve`) on the same questions: retrieval only, no answer.
- **ingest / encode**: `rag ingest` of a fresh store beside the configured encoder alone on exactly the stored
  chunk texts, and on the chunks plus their quotable sentences (the same texts ingest embeds; the ratio the
  target is on); torch's chunk rate for reference. **LlamaIndex ingest** is `from_documents`.
- **re-ingest unchanged**, **one changed** (one article edited; chunks re-embedded shown), **open s**
  (`Explainer.open`, including the lexical index), **serving peak RSS** (the asking process, before torch is
  loaded for the floor), **store MB** (on disk), **CLI cold start** (`python -m rag ask --json`, process start to
  printed answer, median of 3).
- **HTTP**: `rag serve`; the **limit** is the bare query path (embed + search, no caches) in a tight loop on 2
  threads in one process, measured in the same run.

## Targets

{goals}

## Results

{markdown(t)}

{f"![latency and ingest time against corpus size]({os.path.relpath(png, doc.parent)})" if png else NO_PLOT}

All numbers: [benchmarks.json](benchmarks.json).
{http}
{('## Notes' + chr(10) + chr(10) + extra) if extra else ''}
"""
    doc.write_text(text, encoding="utf-8")


def report(result: dict, t0: float, out: Path, doc: str, command: str, final: bool) -> None:
    if "rendered" not in result:  # a re-render keeps the run's own times
        result["seconds"] = time.perf_counter() - t0
        result["load_avg_end"] = list(os.getloadavg())
        result["finished"] = time.strftime("%Y-%m-%d %H:%M") + ("" if final else " (partial: run still going)")
    t = table(result["rows"])
    if result.get("http"):
        ht = http_table(result["http"])
        result["http_md"] = ("\n## HTTP\n\n`rag serve` on loopback, `POST /api/ask`, rate limit off; each level is bounded "
                             "in requests and time; questions cycle (first round first sight, then repeats). "
                             "Cold start is process start to the first answer.\n\n" + md_rows(ht) + "\n")
    (out / "latest.json").write_text(json.dumps(result, indent=1))
    png = out / "latest.png" if plot(result["rows"], out / "latest.png") else None
    if doc:
        doc = Path(doc)
        doc.parent.mkdir(parents=True, exist_ok=True)
        if png:
            shutil.copy(png, doc.parent / "benchmarks.png")
        shutil.copy(out / "latest.json", doc.parent / "benchmarks.json")
        write_doc(result, t, doc.parent / "benchmarks.png" if png else None, doc, command)
    if final:
        print(print_table(t))
        if result.get("http"):
            print("\nHTTP POST /api/ask (rag serve on loopback, rate limit off)\n" + plain(http_table(result["http"])))
        print("\nTargets:\n" + "\n".join(targets(result)))
        if not png:
            print(f"\n{NO_PLOT}")
        print(f"\nwrote {out / 'latest.json'}" + (f", {png}" if png else "") + (f" and {doc}" if doc else ""))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="sizes 1,100 and 20 questions unless given")
    p.add_argument("--sizes", help="comma-separated article counts (default 1,100,1000,10000)")
    p.add_argument("--questions", type=int, help="questions per size (default 100)")
    p.add_argument("--no-llamaindex", action="store_true", help="skip the plain LlamaIndex pipeline")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP server rows")
    p.add_argument("--clients", default="1,10,50", help="concurrent HTTP clients (default 1,10,50)")
    p.add_argument("--threads", type=int, help="torch threads in every measured process (OMP_NUM_THREADS)")
    p.add_argument("--work", help="folder for the synthetic corpus and stores (default: a temp folder, removed)")
    p.add_argument("--out", default=str(HERE / "results"), help="folder for latest.json and latest.png")
    p.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"), help="markdown page to regenerate ('' for none)")
    p.add_argument("--probe-sizes", default="", help="sizes ingested with random vectors instead of the model "
                   "(times everything but the model: re-ingest, memory, ask), e.g. 10000")
    p.add_argument("--render", metavar="JSON", help="measure nothing: print and rewrite the page from a saved latest.json")
    args = p.parse_args(argv)
    if args.render:
        result = json.loads(Path(args.render).read_text())
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        if Path(args.render).resolve() != (out / "latest.json").resolve():
            shutil.copy(args.render, out / "latest.json")
        command = result.get("command", "python benchmarks/run.py")
        saved = {**result, "rendered": True}
        report(saved, time.perf_counter() - result.get("seconds", 0), out, args.doc, command, final=True)
        return 0
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    sizes = [int(s) for s in (args.sizes if args.sizes is not None else
                              ("1,100" if args.quick else "1,100,1000,10000")).split(",") if s]
    n_q = args.questions or (20 if args.quick else 100)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="rag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def log(msg):
        print(f"{time.perf_counter() - t0:7.1f}s {msg}", file=sys.stderr, flush=True)

    result = {"machine": machine(), "sizes": sizes, "rows": [],
              "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "")}
    command = ("python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip()
    result["command"] = command
    clients = [int(c) for c in args.clients.split(",")]
    try:
        probes = [int(x) for x in args.probe_sizes.split(",") if x]
        plan = [(size, False) for size in sizes] + [(size, True) for size in probes]
        first, last = plan[0][0], plan[-1][0]
        for size, probe in plan:
            result["rows"].append(run_size(size, work, n_q, not args.no_llamaindex, log, probe))
            if not args.no_http and size in (first, last):
                log(f"[{size}] HTTP server: cold start, then {clients} concurrent clients")
                try:
                    qs = corpus_for(size, work)[1]
                    lim = child("limit", {"store": str(work / f"store-{size}"), "questions": qs}, work)
                    result.setdefault("http", []).append(
                        {"size": size, "limit": lim, **http_load.run(str(work / f"store-{size}"), qs,
                                                                     clients, requests=40 if args.quick else 200,
                                                                     seconds=60)})
                except Exception as e:  # noqa: BLE001 - keep the other rows
                    result.setdefault("notes", []).append(f"HTTP at {size:,} articles failed: {e}")
            # results so far are written after every size: a long run stopped midway keeps them
            report(result, t0, out, args.doc, command, final=(size, probe) == plan[-1])
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

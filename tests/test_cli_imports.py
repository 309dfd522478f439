"""The web stack is for `rag serve` only, and torch for the torch runtime only: the other commands never load them; serve without the web stack says what to install."""
import os
import re
import shutil
import subprocess
import sys

from conftest import CORPUS, ROOT

WEB = {"gradio", "fastapi", "uvicorn", "starlette"}


def run(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=os.environ,
                          timeout=600)


# Loaded by the default (ONNX) runtime's commands: neither torch (1.4 s, which spaCy's thinc also tries:
# rag/nlp.py stops that) nor transformers, sentence-transformers or llama-index's embeddings (cold start, #14).
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_index.embeddings")
# sys.modules at exit, not -X importtime, says what really loaded: a refused import attempt is listed there too
CODE = ("import sys; from rag.cli import main; code = main(sys.argv[1:]); "
        f"print('heavy loaded:', sorted(m for m in {HEAVY!r} if sys.modules.get(m))); sys.exit(code)")


def imported(*rag_args) -> tuple[subprocess.CompletedProcess, set[str], str]:
    """Run `rag ...` under -X importtime: every module the process loaded, at any point, is on stderr;
    the last stdout line lists the heavy ones still loaded at exit."""
    r = run("-X", "importtime", "-c", CODE, *map(str, rag_args))
    heavy = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    return r, set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", r.stderr, re.M)), heavy


def test_ingest_ask_and_eval_load_no_web_package(tmp_path):
    store = tmp_path / "store"
    ingest, ingest_mods, ingest_heavy = imported("ingest", CORPUS, "--store", store, "--exclude-faq")
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    ask, ask_mods, ask_heavy = imported("ask", "What is Anthropic accusing Alibaba of?", "--store", store)
    assert ask.returncode == 0 and "Sources:" in ask.stdout, ask.stderr[-2000:]
    evals = tmp_path / "evals"  # the FAQ items only: the whole run, a fraction of the items
    evals.mkdir()
    shutil.copy(ROOT / "evals" / "thresholds.toml", evals)
    ev, eval_mods, _ = imported("eval", "--evals", evals, "--report-dir", tmp_path / "report")
    assert (tmp_path / "report" / "report.json").is_file(), ev.stderr[-2000:]
    for command, mods in (("ingest", ingest_mods), ("ask", ask_mods), ("eval", eval_mods)):
        assert {"chromadb", "rag.embedding", "rag.store"} <= mods, command  # the list is read right
        assert {m.split(".")[0] for m in mods} & WEB == set(), command
    assert "rag.explainer" in ask_mods and "rag.evaluation.runner" in eval_mods
    assert ingest_heavy == ask_heavy == "heavy loaded: []", (ingest_heavy, ask_heavy)


def test_serve_without_the_ui_extra_says_how_to_install_it():
    code = "import sys; sys.modules['gradio'] = None; from rag.cli import main; sys.exit(main(['serve']))"
    r = run("-c", code)
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: rag serve needs gradio, which is not installed. "
                                "Install the ui extra with: pip install -e '.[ui]'")

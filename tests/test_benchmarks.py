"""The benchmark scripts stay runnable (the benchmarks themselves are not tests: `python benchmarks/run.py`)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rag.loaders import load_corpus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import synthetic  # noqa: E402


def test_synthetic_corpus_is_labelled_deterministic_and_sized(tmp_path):
    arts = synthetic.generate(tmp_path / "a", 5)
    files = sorted(arts.rglob("*.md"))
    assert len(files) == 5 and all(synthetic.LABEL in f.read_text() for f in files)
    assert synthetic.generate(tmp_path / "b", 5).joinpath("000", "synthetic-000003.md").read_text() == \
        files[3].read_text()
    loaded = load_corpus([arts])
    assert not loaded.skipped and len(loaded.articles) == 5
    assert all(a.url.startswith("https://synthetic.example/") for a in loaded.articles)
    questions = synthetic.questions(tmp_path / "a")
    assert len(questions) == 5 and all(q["expect"] in a.text for q, a in zip(questions, loaded.articles))
    synthetic.generate(tmp_path / "a", 2)  # a smaller size in the same folder drops the rest
    assert len(list(arts.rglob("*.md"))) == 2 and len(synthetic.questions(tmp_path / "a")) == 2
    assert not (ROOT / "corpus").joinpath("000").exists()


def test_benchmark_scripts_start():
    for script in ("run.py", "http_load.py", "api_latency.py", "synthetic.py"):
        args = [sys.executable, str(ROOT / "benchmarks" / script)] + (["--help"] if script != "synthetic.py" else [])
        out = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert (out.returncode == 0) if script != "synthetic.py" else "usage" in out.stderr, out.stderr
        if script == "run.py":
            assert "--quick" in out.stdout


def test_the_report_is_written_with_or_without_matplotlib(tmp_path):
    import importlib.util

    saved = ROOT / "docs" / "benchmarks.json"  # a real run's numbers, re-rendered
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--render", str(saved), "--out",
                          str(tmp_path / "out"), "--doc", str(tmp_path / "doc" / "benchmarks.md")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "doc" / "benchmarks.md").read_text()
    assert "## Results" in page and "| articles |" in page
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "doc" / "benchmarks.png").is_file() and "](benchmarks.png)" in page
    else:
        assert "matplotlib is not installed" in out.stdout and "matplotlib is not installed" in page
        assert not (tmp_path / "doc" / "benchmarks.png").exists()

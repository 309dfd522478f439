"""Make the process offline-safe before any model or telemetry library loads.

Imported first by the package: transformers, tiktoken, chromadb and gradio all
read these at import time, and each would otherwise reach for the network.
"""
import os


def _tiktoken_cache() -> str | None:
    try:
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
    except (ImportError, ValueError):
        return None
    if not spec or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "_static", "tiktoken_cache")


for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_k, _v)

_cache = _tiktoken_cache()
if _cache:
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", _cache)

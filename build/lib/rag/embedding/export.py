"""Export the embedding model to ONNX once, into the project's cache, and check it against torch.

`./dev setup` runs this (`python -m rag.embedding`) so the first question never waits; if the
file is missing anyway (another cache folder, a changed model), the first use exports it. Export needs
torch and the `onnx` package; running the exported file needs neither.

Not `optimum`: its releases pin transformers<4.58, which breaks sentence-transformers and gradio here.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
from pathlib import Path

from ..errors import ModelMissing

# Bump when the exported graph changes (pooling, opset, inputs): old files are then not reused.
EXPORT_VERSION = 1
OPSET = 17


def folder_digest(folder: Path) -> str:
    """A cheap identity for a model folder: names and sizes of its files."""
    h = hashlib.sha1()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f"{f.relative_to(folder)}:{f.stat().st_size}\n".encode())
    return h.hexdigest()[:10]


def model_name(folder: Path) -> str:
    """all-MiniLM-L6-v2 for a folder of that name; the package name for a package's `model/` folder."""
    return folder.name if folder.name != "model" else folder.parent.name


# What the exported graph is made of: a copy of the folder with other files (a README, a tokenizer
# tweak: the tokenizer is read from the folder at run time) reuses the export.
GRAPH_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "1_Pooling/config.json")


def onnx_path(folder: Path, cache_dir: Path, precision: str) -> Path:
    h = hashlib.sha1()
    for name in GRAPH_FILES:
        f = folder / name
        if f.is_file():
            h.update(f"{name}:{f.stat().st_size}:{hashlib.sha1(f.read_bytes()[:1 << 20]).hexdigest()}\n".encode())
    # keyed by content only, so a copy of the model elsewhere (another venv, a renamed folder) reuses it
    return Path(cache_dir) / "onnx" / f"{h.hexdigest()[:12]}-v{EXPORT_VERSION}" / f"{precision}.onnx"


def ensure(folder: Path, cache_dir: Path, precision: str) -> Path:
    """The exported file for this model folder and precision, exporting it first if needed.

    Several processes may start at once (test workers, server replicas): one exports under a
    file lock, the others wait and reuse its file; a file is only ever renamed into place whole.
    """
    target = onnx_path(folder, cache_dir, precision)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelMissing(f"The ONNX cache folder {target.parent}",
                           f"It could not be created ({e.strerror}). Set RAG_CACHE to a writable folder.") from None
    try:
        with open(target.parent / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not target.is_file():
                fp32 = target.with_name("fp32.onnx")
                if not fp32.is_file():
                    _export_fp32(folder, fp32)
                if precision == "int8":
                    _quantize(fp32, target)
    except BaseException:
        if not any(p.suffix == ".onnx" for p in target.parent.iterdir()):
            shutil.rmtree(target.parent, ignore_errors=True)  # a failed export leaves nothing behind
        raise
    return target


def _export_fp32(folder: Path, target: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
    except ImportError:
        raise ModelMissing("torch and transformers, needed once to export the model to ONNX",
                           "Run ./dev setup, or set RAG_EMBED_RUNTIME=torch.") from None
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        raise ModelMissing("the onnx package, needed once to export the model", "Run ./dev setup.") from None
    print(f"exporting the embedding model to {target} (once)", file=sys.stderr)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        model = AutoModel.from_pretrained(str(folder)).eval()
    except Exception as e:
        raise ModelMissing(f"The embedding model at {folder}", f"It could not be loaded ({type(e).__name__}: {e}).") from None

    class Pooled(torch.nn.Module):
        """The transformer plus sentence-transformers' mean pooling and normalisation, as one graph."""

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2, dim=1)

    probe = torch.ones(2, 8, dtype=torch.long)
    dyn = {n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
    dyn["embedding"] = {0: "batch"}
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on advanced indexing do not apply to BERT
        torch.onnx.export(Pooled(model), (probe, probe, torch.zeros_like(probe)), str(tmp),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
                          dynamic_axes=dyn, opset_version=OPSET, dynamo=False)
    os.replace(tmp, target)


def _quantize(fp32: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_suffix(f".tmp{os.getpid()}")
    import logging

    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic warns through the root logger
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
    os.replace(tmp, target)


def main() -> int:
    """`python -m rag.embedding`: export for the configured model, runtime and cache (./dev setup)."""
    from .. import _offline  # noqa: F401
    from ..config import Settings
    from ..errors import RagError

    s = Settings.from_env()
    if s.embed_runtime != "onnx" or s.embed_url:
        return 0
    try:
        print(ensure(Path(s.embed_model), s.cache_dir, s.embed_precision))
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


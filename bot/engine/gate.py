"""The on-topic gate: is a text about this article's debate at all? (Separate from finding a claim.)

A logistic model over four closeness features between the text and the debate (the motion, the
article's sentences, the pack's claims) decides. Its weights were fitted by
`benchmarks/train_gate.py` on IBM Claim Stance (claims against the articles of their own motion,
their own article left out, versus claims of other motions) and ArgKP arguments on unrelated
topics, and ship in `models/gate.json`. Text that is not English gets its own verdict, so the judge
can say it reads English only instead of calling it off-topic.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .index import ArticleIndex
from .matcher import embed, encode_query, tokenize

GATE_PATH = Path(__file__).resolve().parent / "models" / "gate.json"

# a few very common words per language: English text uses its own far more than the others'
_ENGLISH = frozenset(["the", "a", "an", "and", "or", "but", "of", "to", "in", "is", "are", "was", "were", "be", "been", "it", "that", "this", "they", "we", "you", "he", "she", "not", "for", "with", "on", "at", "by", "as", "have", "has", "had", "do", "does", "did", "will", "would", "should", "can", "could", "their", "our", "its", "i", "my", "me", "so", "if", "because", "what", "which", "who", "no", "yes"])
_OTHER = frozenset(["der", "die", "das", "und", "ist", "nicht", "ein", "eine", "ich", "wir", "sie", "le", "la", "les", "et", "est", "pas", "une", "des", "je", "nous", "il", "elle", "el", "los", "las", "y", "es", "no", "un", "una", "yo", "nosotros", "que", "de", "en", "por", "para", "con", "il", "lo", "gli", "e", "non", "di", "che", "per", "o", "os", "um", "uma", "eu", "não", "com"]) - _ENGLISH
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


@dataclass(frozen=True)
class Topicality:
    """The gate's verdict on one text."""

    on_topic: bool
    score: float  # probability that the text is about the debate, 0..1
    reason: str  # "on_topic" | "off_topic" | "empty" | "not_english"


@lru_cache(maxsize=1)
def _weights() -> tuple[np.ndarray, float, float]:
    data = json.loads(GATE_PATH.read_text(encoding="utf-8"))
    return np.asarray(data["coef"], dtype=np.float64), float(data["intercept"]), float(data.get("threshold", 0.5))


def _language(text: str) -> str:
    """'en', 'other' (clearly another language or script) or 'unknown' (too short to tell)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "unknown"
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    if latin / len(letters) < 0.5:
        return "other"
    words = [w.lower().strip("'’") for w in _LATIN_WORD.findall(text)]
    if len(words) < 4:
        return "unknown"
    en = sum(w in _ENGLISH for w in words)
    other = sum(w in _OTHER for w in words)
    if other >= 2 and other > 2 * en:
        return "other"
    return "en"


def _features(index: ArticleIndex, text: str, motion_text: str | None) -> np.ndarray:
    """Closeness of `text` to the debate: motion cosine, best and top-3 sentence cosine, best claim cosine."""
    from .matcher import encoder_available

    if encoder_available():
        q = encode_query(text)
        sent = index.sentence_vecs @ q if len(index.sentence_vecs) else np.zeros(1)
        # the debate's motions: the one given, and the pack's (an argument about the article is on topic
        # even when it speaks to a neighbouring motion)
        motions = [motion_text] if motion_text else []
        motions += [m.text for m in index.pack.motions]
        mot = max(float(encode_query(t) @ q) for t in motions) if motions else float(sent.max())
    else:  # WordLlama only (no encoder files): the same features, less sharp
        q = embed([text])[0]
        sent = index.sentence_index.vecs @ index.sentence_index.query_vec(text)
        motions = ([motion_text] if motion_text else []) + [m.text for m in index.pack.motions]
        mot = float((embed(motions) @ q).max()) if motions else float(sent.max())
    top = np.sort(sent)[::-1]
    cv = index.claim_index.ft_vecs if index.claim_index.ft_vecs is not None else None
    best_claim = float((cv @ q).max()) if cv is not None and len(cv) and encoder_available() else float(top[0])
    return np.array([mot, float(top[0]), float(top[:3].mean()), best_claim], dtype=np.float64)


def topicality(index: ArticleIndex, text: str, motion_text: str | None = None) -> Topicality:
    """Whether `text` is about the article's debate (on `motion_text` when given)."""
    text = (text or "").strip()
    if not any(ch.isalnum() for ch in text):
        return Topicality(False, 0.0, "empty")
    if _language(text) == "other":
        return Topicality(False, 0.0, "not_english")
    if not tokenize(text):
        return Topicality(False, 0.0, "off_topic")
    coef, intercept, threshold = _weights()
    z = float(_features(index, text, motion_text) @ coef + intercept)
    p = 1.0 / (1.0 + math.exp(-z))
    return Topicality(p >= threshold, p, "on_topic" if p >= threshold else "off_topic")

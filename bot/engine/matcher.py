"""Hybrid matcher: BM25 (PyStemmer stems, normalised to [0, ~1]) + WordLlama dense cosine,

optionally blended with the cosine of the fine-tuned MiniLM bi-encoder (`encoder.py`, int8 ONNX),
the same encoder and vectors the ArgKP benchmark uses. Both the bot (claims of a pack, sentences
of an article) and the ArgKP benchmark use it. The models are loaded lazily, once per process.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

_MODEL = None
_MODEL_LOCK = threading.Lock()

STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "don't", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "let's", "me", "more", "most", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "also", "us", "one", "may", "might", "must", "shall", "s", "t", "d", "ll", "re", "ve", "m", "o", "y", "let", "even", "really", "just", "still", "already", "ever", "much", "many", "get", "got"]
)
# words that carry stance/negation: kept for lexical matching even though they are common
_KEEP = frozenset({"no", "not", "nor", "against", "never", "only", "all"})
_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def get_model():
    """The WordLlama model shipped inside the wheel (offline)."""
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                import wordllama

                _MODEL = wordllama.WordLlama.load(
                    cache_dir=Path(wordllama.__file__).parent, disable_download=True
                )
    return _MODEL


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str, *, keep_stop: bool = False) -> list[str]:
    words = _TOKEN.findall(text.lower().replace("’", "'"))
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    if not keep_stop:
        words = [w for w in words if w not in STOPWORDS or w in _KEEP]
    return _stemmer().stemWords(words)


def embed(texts: Sequence[str] | str) -> np.ndarray:
    """L2-normalised WordLlama embeddings, float32, shape (n, 256)."""
    single = isinstance(texts, str)
    items = [texts] if single else list(texts)
    if not items:
        return np.zeros((0, 256), dtype=np.float32)
    vecs = np.asarray(get_model().embed(items, norm=True), dtype=np.float32)
    return vecs


def _normalise(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    n[n == 0] = 1.0
    return m / n


class BM25:
    """Okapi BM25 over a small corpus; `score` is normalised by the query's total IDF,

    so a document that contains every query term once (at average length) scores about 1.0, and
    unrelated text scores 0. That makes it comparable across queries (needed to decline).
    """

    def __init__(self, docs: Sequence[list[str]], *, k1: float = 1.2, b: float = 0.5,
                 idf_docs: Sequence[list[str]] | None = None) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        for d in docs:
            for t in d:
                self.vocab.setdefault(t, len(self.vocab))
        stat_docs = list(docs) + list(idf_docs or [])
        n = len(stat_docs)
        df = Counter(t for d in stat_docs for t in set(d))
        self.n = n
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if len(lengths) else 1.0
        self.norm = self.k1 * (1 - self.b + self.b * lengths / max(avg, 1e-6))
        # term -> (doc indices, tf)
        post: dict[str, list[tuple[int, int]]] = {}
        for i, d in enumerate(docs):
            for t, c in Counter(d).items():
                post.setdefault(t, []).append((i, c))
        self.post = {t: (np.array([i for i, _ in v]), np.array([c for _, c in v], dtype=np.float32)) for t, v in post.items()}
        self.size = len(docs)

    def term_idf(self, t: str) -> float:
        return self.idf.get(t, self.max_idf)

    def score(self, query_tokens: list[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        q = list(dict.fromkeys(query_tokens))
        total = sum(self.term_idf(t) for t in q)
        if total <= 0:
            return out
        for t in q:
            p = self.post.get(t)
            if p is None:
                continue
            idx, tf = p
            out[idx] += self.term_idf(t) * tf * (self.k1 + 1) / (tf + self.norm[idx])
        return out / total


@lru_cache(maxsize=256)
def encode_query(text: str) -> np.ndarray:
    """The fine-tuned encoder's vector of one query text (a round asks about the same text several
    times: the whole argument, motion inference, scoring)."""
    from .encoder import get_encoder

    v = get_encoder().encode(text)[0]
    v.setflags(write=False)
    return v


def _cache_dir() -> Path:
    base = os.environ.get("DEBATE_BOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "debate-bot")
    return Path(base) / "encoder"


def encode_texts(texts: Sequence[str]) -> np.ndarray:
    """The fine-tuned encoder's vectors of an index's texts, kept on disk between processes.

    Keyed by the model file (path, size, mtime) and the texts, so a restarted bot does not encode
    its pack again; a missing or unwritable cache only costs the encoding (about 1 ms a text).
    """
    from .encoder import MODEL_DIR, get_encoder

    enc = get_encoder()
    model = MODEL_DIR / "model.onnx"
    st = model.stat()
    h = hashlib.sha256(f"{model.resolve()}|{st.st_size}|{st.st_mtime_ns}|{enc.max_len}".encode())
    for t in texts:
        h.update(b"\0" + t.encode("utf-8"))
    path = _cache_dir() / f"{h.hexdigest()[:32]}.npy"
    try:
        v = np.load(path)
        if v.shape == (len(texts), enc.dim) and v.dtype == np.float32:
            return v
    except (OSError, ValueError):
        pass
    v = enc.encode(list(texts))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, v)
        os.replace(tmp, path)
    except OSError:
        pass
    return v


def encoder_available() -> bool:
    from .encoder import available

    return available()


class HybridIndex:
    """Texts grouped by key (e.g. claim id): a key's score is the best of its texts.

    With `encoder_weight` > 0 the hybrid score h becomes (1 - w) * h + w * cos_ft, where cos_ft is
    the fine-tuned encoder's cosine (texts encoded once, here, at index time).
    """

    def __init__(self, keys: Sequence[str], texts: Sequence[str], *, background: Sequence[str] = (),
                 dense_weight: float = 0.6, dense_gate: float = 0.0, encoder_weight: float = 0.0) -> None:
        self.keys = list(keys)
        self.texts = list(texts)
        self.uniq = list(dict.fromkeys(self.keys))
        self.key_index = {k: i for i, k in enumerate(self.uniq)}
        self.owner = np.array([self.key_index[k] for k in self.keys])
        toks = [tokenize(t) for t in self.texts]
        self.bm25 = BM25(toks, idf_docs=[tokenize(t) for t in background])
        bg = embed(list(background)) if background else embed(self.texts)
        # centre on the article's own mean direction (removes "everything here is about X"); a short
        # text's mean is mostly its topic's words, so centre it only partly
        self.center = bg.mean(axis=0) * min(1.0, len(bg) / 100)
        self.vecs = self.center_vecs(embed(self.texts))
        self.dense_weight = dense_weight
        # below this cosine a text is not about the query, however many words it shares
        # ("I love pizza" vs "we fell in love"): its score is capped at the cosine
        self.dense_gate = dense_gate
        self.encoder_weight = encoder_weight
        self.ft_vecs = None
        if encoder_weight > 0:
            self.ft_vecs = encode_texts(self.texts)

    def center_vecs(self, v: np.ndarray) -> np.ndarray:
        """Vectors centred on the index background's mean direction, then L2-normalised."""
        return _normalise(v - self.center)

    def query_vec(self, text: str) -> np.ndarray:
        return self.center_vecs(embed([text]))[0]

    def text_scores(self, text: str, qvec: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(dense, lexical) per text."""
        if qvec is None:
            qvec = self.query_vec(text)
        dense = self.vecs @ qvec
        lex = self.bm25.score(tokenize(text))
        return dense, lex

    def ft_scores(self, text: str) -> np.ndarray | None:
        """The fine-tuned encoder's cosine per text (None without the encoder)."""
        if self.ft_vecs is None:
            return None
        return self.ft_vecs @ encode_query(text)

    def combine(self, dense: np.ndarray, lex: np.ndarray, ft: np.ndarray | None = None) -> np.ndarray:
        w = self.dense_weight
        h = w * dense + (1 - w) * np.minimum(lex, 1.2)
        if self.dense_gate > 0:
            h = np.where(dense < self.dense_gate, np.minimum(h, dense), h)
        if ft is not None:
            h = (1 - self.encoder_weight) * h + self.encoder_weight * ft
        return h

    def scores_many(self, texts: Sequence[str]) -> np.ndarray:
        """`scores` for several texts at once, (len(texts), keys): one WordLlama batch for all of them."""
        if not texts:
            return np.zeros((0, len(self.uniq)), dtype=np.float32)
        qvecs = self.center_vecs(embed(list(texts)))
        out = np.full((len(texts), len(self.uniq)), -1.0, dtype=np.float32)
        for i, t in enumerate(texts):
            dense, lex = self.text_scores(t, qvecs[i])
            np.maximum.at(out[i], self.owner, self.combine(dense, lex, self.ft_scores(t)))
        return out

    def scores(self, text: str) -> np.ndarray:
        """Best hybrid score per key (order of `self.uniq`)."""
        dense, lex = self.text_scores(text)
        s = self.combine(dense, lex, self.ft_scores(text))
        out = np.full(len(self.uniq), -1.0, dtype=np.float32)
        np.maximum.at(out, self.owner, s)
        return out

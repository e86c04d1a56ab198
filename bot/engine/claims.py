"""Which sentences of an article argue something? A claim detector, plus the rules a claim must pass.

- `sentence_problem(text)` says why a text cannot be a claim at all: a fragment ("Legal Society: The."),
  a heading or caption, truncated text, a dangling pronoun, a question. Pack validation uses it too.
- `ClaimDetector` is a logistic regression over a few lexical cues (modals, evaluative words,
  reporting verbs, dates, past tense, definitions) and how close the sentence is to the motion
  (WordLlama cosine, its rank in the article, shared words). It was fitted by `benchmarks/train_claim_detector.py` on IBM Claim Stance
  (sentences that hold a labelled claim span versus the other sentences of the same 246 articles) and
  ships as `models/claim-detector.json` (no torch at run time).
- `reported_view(text)` recognises views the article reports ("Supporters of this approach claim that
  …", "Critics say …"): who holds them and the clause that states them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DETECTOR_PATH = Path(__file__).resolve().parent / "models" / "claim-detector.json"

_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*")
_MODAL = re.compile(r"\b(should|must|ought|would|could|can|cannot|can't|may|might|need(?:s)? to|has to|have to)\b", re.I)
_EVAL = re.compile(
    r"\b(good|bad|better|worse|best|worst|harm\w*|benefi\w*|important|effective|ineffective|dangerous|unfair|fair|"
    r"wrong|right|necessary|essential|crucial|risk\w*|threat\w*|improv\w*|undermin\w*|protect\w*|violat\w*|"
    r"damag\w*|help\w*|hurt\w*|fail\w*|succe\w*|costly|cheap\w*|safe\w*|unsafe|useful|useless|positive|negative|"
    r"advantage\w*|disadvantage\w*|problem\w*|danger\w*|unjust|just|justif\w*|moral\w*|ethic\w*|abus\w*|"
    r"encourag\w*|discourag\w*|promot\w*|prevent\w*|reduc\w*|increas\w*|lead(?:s)? to|result(?:s)? in|caus\w*)\b",
    re.I)
_CAUSAL = re.compile(r"\b(because|therefore|thus|hence|since|so that|as a result|consequently|which means|"
                     r"in order to|if)\b", re.I)
_REPORT = re.compile(r"\b(argu\w*|claim\w*|contend\w*|believ\w*|assert\w*|maintain\w*|suggest\w*|warn\w*|"
                     r"insist\w*|critic\w*|support\w*|proponent\w*|opponent\w*|advocat\w*|oppos\w*|view|opinion)\b",
                     re.I)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_PAST = re.compile(r"\b(was|were|had|did|\w+ed)\b", re.I)
_DEFINE = re.compile(r"^[^,]{0,60}?\b(is|are|was|were)\s+(a|an|the)\s+(\w+\s+){0,4}(that|which|who|of|in|for|"
                     r"founded|located|born|based)\b|\b(refers to|is defined as|is the name|also known as|"
                     r"is a type of)\b", re.I)
_NEG = re.compile(r"\b(not|no|never|nor|cannot|can't|won't|don't|doesn't|isn't|aren't)\b", re.I)
_COMPAR = re.compile(r"\b(more|less|fewer|than|most|least)\b", re.I)
_FIRST = re.compile(r"\b(I|we|our|us|my)\b")
_QUOTE = re.compile(r"[“”\"]")

# a text that starts with one of these without saying who is meant leans on the sentence before it
_PRONOUN_START = re.compile(r"^(he|she|they|him|her|his|their|them|its|it(?!\s+(?:is|was|would|will|seems|may|might|"
                            r"could|can|should|must)\s+(?:\w+\s+){0,3}(?:that|to|for)\b)|"
                            r"(?:this|that|these|those|such)(?=\s+(?:is|was|are|were|means|meant|will|would|has|had|"
                            r"have|shows|showed|can|could|may|might|must|should|does|did|made|makes)\b))\b", re.I)
_LEAD_CONNECTIVE = re.compile(r"^(?:but|and|so|yet|also|still|then|indeed|however|moreover|furthermore|in addition|"
                              r"in fact|of course|after all|finally|meanwhile|in other words|in short|instead|"
                              r"nevertheless|nonetheless|thus|therefore|hence|besides|likewise|similarly|again|"
                              r"admittedly|sure|granted|to be sure|that said|even so)\b[,:]?\s+", re.I)
_CAPTION = re.compile(r"^(figure|fig\.|photo|photograph|image|picture|source|credit|caption|table|chart|map|"
                      r"illustration|video|watch|read more|related|advertisement|subscribe|click|sign up|"
                      r"copyright|©|\(ap\)|\(reuters\))\b", re.I)
_SHORT_END = frozenset(["the", "a", "an", "of", "to", "and", "or", "but", "in", "on", "at", "by", "for", "with", "from", "as", "that", "this", "mr", "mrs", "ms", "dr", "st", "mc", "mac", "sir", "lord", "lady", "no", "vs"])
_REPORTED = re.compile(
    r"^(?:but\s+|and\s+|yet\s+|however,\s+|still,\s+)?(?P<who>(?:(?:many|some|most|other|several|a\s+few|few)\s+)?"
    r"(?:critics|opponents|sceptics|skeptics|detractors|supporters|proponents|advocates|defenders|campaigners|"
    r"economists|experts|scientists|researchers|doctors|analysts|activists|residents|parents|teachers|unions|"
    r"businesses|others|some|many|people)(?:\s+(?:of|in|from|on)\s+(?:the\s+|this\s+|that\s+)?[a-z -]{2,40}?)?)"
    r"(?:\s+also)?\s+(?:have\s+|had\s+)?(?:long\s+)?(?P<verb>say|said|warn|warned|argue|argued|claim|claimed|fear|"
    r"feared|insist|insisted|contend|contended|maintain|maintained|believe|believed|point\s+out|pointed\s+out|"
    r"suggest|suggested|complain|complained|worry|worried|note|noted|counter|countered|respond|responded)"
    r"(?:\s+that)?[,:]?\s+(?P<clause>.+)$", re.I)
_IT_REPORTED = re.compile(r"^(?:but\s+)?it\s+(?:is|has\s+been|was)\s+(?:often\s+|widely\s+|also\s+)?(?:argued|claimed|"
                          r"said|suggested|contended|feared)\s+(?:by\s+(?P<who>[^,]{3,50}?)\s+)?that\s+"
                          r"(?P<clause>.+)$", re.I)


@dataclass(frozen=True)
class ReportedView:
    """A view the article reports: who holds it ("critics") and the clause that states it."""

    who: str
    clause: str


def words(text: str) -> list[str]:
    """The words of a text (letters, apostrophes, hyphens)."""
    return _WORD.findall(text)


def reported_view(text: str) -> ReportedView | None:
    """'Supporters of this approach claim that X' -> ReportedView('Supporters of this approach', 'X')."""
    t = _QUOTE.sub("", text).strip()
    m = _REPORTED.match(t) or _IT_REPORTED.match(t)
    if not m:
        return None
    clause = m.group("clause").strip()
    if len(words(clause)) < 4:
        return None
    who = (m.groupdict().get("who") or "some").strip()
    who = re.sub(r"\s+", " ", who)
    return ReportedView(who=who[:1].upper() + who[1:].lower(), clause=clause[:1].upper() + clause[1:])


def strip_connective(text: str) -> str:
    """Drop the discourse markers a sentence opens with ("But", "In fact,") and capitalise what is left."""
    t = text.strip()
    for _ in range(2):
        t = _LEAD_CONNECTIVE.sub("", t)
    return t[:1].upper() + t[1:] if t else text


def sentence_problem(text: str, *, pronouns: bool = True) -> str | None:
    """Why `text` cannot stand as a claim ("fragment", "truncated", ...), or None when it can."""
    t = (text or "").strip()
    ws = words(t)
    if len(ws) < 4:
        return "fragment (fewer than 4 words)"
    if t.endswith(("…", "...")) or not re.search(r"[.!?][”\"’)]*$", t):
        return "truncated (no final full stop)"
    if t.rstrip("”\"’)").endswith("?"):
        return "a question, not a claim"
    tail = t.rstrip("”\"’).!?").split()[-1] if t.rstrip("”\"’).!?").split() else ""
    last = tail.lower().strip("’'(")
    if last in _SHORT_END or (len(tail) <= 2 and tail[:1].isupper()):
        return f"fragment (ends on {tail!r})"
    if t[:1].islower():
        return "fragment (starts mid-sentence)"
    if _CAPTION.match(t):
        return "a caption or page furniture"
    caps = sum(w[:1].isupper() for w in ws)
    if caps / len(ws) > 0.6:
        return "a heading (title case)"
    if t.count("(") != t.count(")") or t.count("“") != t.count("”") or t.count('"') % 2:
        return "truncated (unbalanced quotes or brackets)"
    head = re.match(r"^([^:]{1,40}):\s", t)
    if head and len(words(head.group(1))) <= 4 and len(ws) - len(words(head.group(1))) < 5:
        return "fragment (a label and a few words)"
    if pronouns and _PRONOUN_START.match(strip_connective(t)):
        return "dangling pronoun (it leans on the sentence before)"
    return None


def lexical_features(text: str) -> np.ndarray:
    """A dozen cheap cues of argument versus narrative, each in 0..1."""
    ws = words(text)
    n = max(1, len(ws))
    caps = sum(w[:1].isupper() for w in ws[1:]) / max(1, n - 1)
    return np.array([
        min(1.0, np.log1p(n) / 4.0),
        float(bool(_MODAL.search(text))),
        min(1.0, len(_EVAL.findall(text)) / 3.0),
        float(bool(_CAUSAL.search(text))),
        float(bool(_REPORT.search(text))),
        float(bool(_YEAR.search(text))),
        min(1.0, len(_PAST.findall(text)) / 4.0),
        float(bool(_DEFINE.search(text))),
        float(bool(_NEG.search(text))),
        float(bool(_COMPAR.search(text))),
        float(bool(_FIRST.search(text))),
        float(bool(_QUOTE.search(text))),
        float("(" in text),
        min(1.0, sum(ch.isdigit() for ch in text) / 8.0),
        caps,
        float(sentence_problem(text) is not None),
        float(reported_view(text) is not None),
    ], dtype=np.float64)


N_LEXICAL = 17


def motion_features(vecs: np.ndarray, motion_vec: np.ndarray, texts: Sequence[str], motion: str) -> np.ndarray:
    """(n, 3): cosine to the motion (raw and ranked within the article) and the share of its words present."""
    from .matcher import tokenize

    cos = vecs @ motion_vec if len(vecs) else np.zeros(0)
    rank = (np.argsort(np.argsort(-cos)) / max(1, len(cos) - 1)) if len(cos) else cos
    mt = set(tokenize(motion))
    share = np.array([len(mt & set(tokenize(t))) / max(1, len(mt)) for t in texts])
    return np.stack([cos, 1.0 - rank, share], axis=1) if len(cos) else np.zeros((0, 3))


def feature_matrix(texts: Sequence[str], vecs: np.ndarray, motion: str, motion_vec: np.ndarray) -> np.ndarray:
    """Rows of [lexical cues, closeness to the motion] for the detector.

    The sentence's own vector is left out: with it, leave-motions-out ROC AUC on IBM fell from 0.816 to 0.798
    (it learns the encyclopaedia's topics, not what makes a claim)."""
    lex = np.stack([lexical_features(t) for t in texts]) if texts else np.zeros((0, N_LEXICAL))
    return np.hstack([lex, motion_features(vecs, motion_vec, texts, motion)])


def embed_unit(texts: Sequence[str]) -> np.ndarray:
    """WordLlama vectors, L2-normalised (the detector's input)."""
    from .matcher import embed

    v = np.asarray(embed(list(texts)), dtype=np.float64)
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)


@dataclass
class ClaimDetector:
    """Logistic regression: P(a sentence states an argumentative claim about the motion)."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float = 0.5

    def prob(self, x: np.ndarray) -> np.ndarray:
        """P(claim) for each row of a feature matrix."""
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def score(self, texts: Sequence[str], motion: str, vecs: np.ndarray | None = None) -> np.ndarray:
        """P(claim about `motion`) for each text (texts that fail `sentence_problem` get 0)."""
        if not texts:
            return np.zeros(0)
        vecs = embed_unit(texts) if vecs is None else vecs
        mv = embed_unit([motion])[0]
        p = self.prob(feature_matrix(texts, vecs, motion, mv))
        bad = np.array([sentence_problem(t) is not None for t in texts])
        return np.where(bad, 0.0, p)

    def to_json(self) -> str:
        """The weights as JSON."""
        return json.dumps({"coef": self.coef.round(6).tolist(), "intercept": round(float(self.intercept), 6),
                           "mean": self.mean.round(6).tolist(), "scale": self.scale.round(6).tolist(),
                           "threshold": self.threshold})

    @classmethod
    def from_json(cls, text: str) -> ClaimDetector:
        """Weights saved by `to_json`."""
        d = json.loads(text)
        return cls(np.asarray(d["coef"]), float(d["intercept"]), np.asarray(d["mean"]), np.asarray(d["scale"]),
                   float(d.get("threshold", 0.5)))


def fit_detector(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iters: int = 25,
                 pos_weight: float = 1.0) -> ClaimDetector:
    """Fit the detector by Newton's method (IRLS) with an L2 penalty; features are standardised."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(xs.shape[1])
    sw = np.where(y > 0, pos_weight, 1.0)
    reg = np.full(xs.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(xs @ w, -30, 30)))
        g = xs.T @ (sw * (p - y)) + reg * w
        h = (xs * (sw * p * (1 - p))[:, None]).T @ xs + np.diag(reg + 1e-9)
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return ClaimDetector(coef=w[:-1], intercept=float(w[-1]), mean=mean, scale=scale)


@lru_cache(maxsize=1)
def get_detector() -> ClaimDetector | None:
    """The shipped detector (None when its weights are missing: drafting then uses the cues alone)."""
    if not DETECTOR_PATH.is_file():
        return None
    return ClaimDetector.from_json(DETECTOR_PATH.read_text(encoding="utf-8"))

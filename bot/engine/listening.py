"""Listening: turn a speech into the points it makes, each kept with its character span.

Each point (a sentence, or a clause of a long sentence) gets one kind:
- `own`: it makes a claim of the speaker's side (claim_id is that pack claim);
- `attack`: it takes on a claim of the other side (claim_id is the claim attacked);
- `new`: it is about the debate, but no prepared claim covers it;
- `off_topic`: filler, or not about the debate.

The gate decides "about the debate" (gate.py); the claim index finds the nearest prepared claim, whose
side gives the point's stance. The speaker's side, when known (it always is in a round), decides between
own and attack; without it, the side is inferred from the claims the speech makes, and only then from
the stance model. One function, `listen`, serves rebuttals, the judge, speeches and results.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .article import split_sentences
from .gate import topicality
from .index import MATCH_FLOOR, ArticleIndex, calibrate, other_side
from .matcher import HybridIndex, encode_query, tokenize
from .stance import predict_stance

LISTEN_CACHE_SIZE = 512
_CACHE_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[Any, ...], tuple[weakref.ref, Hearing]] = OrderedDict()

# a long sentence is heard as its clauses (each can be a point of its own)
_LONG = 28
_CLAUSE = re.compile(r"\s*(?:;|:(?=\s)|—|\s–\s|,?\s+(?:but|whereas|while|although)\s+|,\s+(?:and|so)\s+)\s*", re.I)
# a point needs this many content words to be heard on its own (else it is filler, unless on topic)
_MIN_CONTENT = 2
# a claim this much behind the best may still be the one meant when it is on the speaker's side
_OWN_SIDE_LIFT = 0.06
# "They say…", "My opponent claims…": the point reports the other side's claim in order to attack it
_REPORTED = re.compile(r"^\W*(?:(?:but|and|so|now|first(?:ly)?|second(?:ly)?|finally|yes)\W+)*(?:they|my opponents?|"
                       r"(?:the )?(?:other|opposing) (?:side|team)|the (?:opposition|proposition|government)|"
                       r"you|he|she|the bot)\s+(?:keeps?\s+|kept\s+|just\s+|might\s+|will\s+|would\s+|may\s+)?"
                       r"(?:say(?:s|ing)?|said|claim(?:s|ed|ing)?|argue(?:s|d)?|arguing|insist(?:s|ed)?|tell(?:s)? us|told us|"
                       r"think(?:s)?|suggest(?:s|ed)?|want(?:s)? you to believe|would have you believe)\b", re.I)
# how far below the best (and below the floor) a claim of the other side may be and still be the one reported
_REPORTED_MARGIN = 0.1
# the lift a claim of the round's own motion gets over a claim of a neighbouring motion
_SAME_MOTION = 0.03
# a candidate claim counts as mentioned at this calibrated score
MENTIONED = 0.5


@dataclass(frozen=True)
class Point:
    """One point of a speech, with its verbatim span."""

    span: str
    start: int
    end: int
    kind: str  # own | attack | new | off_topic
    claim_id: str | None
    stance: str | None = None  # pro|con toward the motion, from the claim heard (None when no claim covers it)
    weight: float = 0.0  # how much it matters, 0..1 (on-topic-ness x match x substance)
    match: float = 0.0  # calibrated score of the claim matched, 0..1
    topic: float = 0.0  # the gate's probability that the point is about the debate

    def to_dict(self) -> dict:
        """The JSON shape of `engine listen`."""
        return {"span": self.span, "start": self.start, "end": self.end, "kind": self.kind, "claim_id": self.claim_id,
                "stance": self.stance, "weight": round(self.weight, 3)}


@dataclass(frozen=True)
class Mention:
    """How strongly a speech makes one candidate claim, and where."""

    score: float
    mentioned: bool
    span: str | None
    claim_id: str | None = None
    features: tuple[float, ...] = ()  # what the score was computed from (candidate claims only)

    def to_dict(self) -> dict:
        """The JSON shape of `engine listen`'s `claims`."""
        out = {"score": round(self.score, 4), "mentioned": self.mentioned, "span": self.span}
        if self.claim_id is not None:
            out["claim_id"] = self.claim_id
        return out


@dataclass(frozen=True)
class Hearing:
    """What was heard in one speech."""

    points: list[Point]
    claims: list[Mention] = field(default_factory=list)
    side: str | None = None  # the speaker's side (given, or inferred)
    language: str = "en"  # "en", or "other" when the speech is not in English

    def on_topic(self) -> list[Point]:
        """Points about the debate, heaviest first."""
        return sorted((p for p in self.points if p.kind != "off_topic"), key=lambda p: -p.weight)

    def to_dict(self) -> dict:
        """The JSON shape of `engine listen`."""
        return {"points": [p.to_dict() for p in self.points], "claims": [c.to_dict() for c in self.claims],
                "side": self.side, "language": self.language}


def _segments(text: str) -> list[tuple[int, int]]:
    """Sentence spans, with long sentences cut into clauses (spans into `text`)."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        sent = text[s:e]
        if len(sent.split()) <= _LONG:
            out.append((s, e))
            continue
        cur = 0
        for m in _CLAUSE.finditer(sent):
            if len(tokenize(sent[cur:m.start()])) >= 3 and len(tokenize(sent[m.end():])) >= 3:
                out.append((s + cur, s + m.start()))
                cur = m.end()
        out.append((s + cur, e))
    return [(a, b) for a, b in out if text[a:b].strip()]


MENTION_PATH = Path(__file__).resolve().parent / "models" / "listen.json"


@lru_cache(maxsize=1)
def _mention_weights() -> tuple[np.ndarray, float]:
    data = json.loads(MENTION_PATH.read_text(encoding="utf-8"))
    return np.asarray(data["coef"], dtype=np.float64), float(data["intercept"])


def _mention_features(index: ArticleIndex, pieces: Sequence[str], candidates: Sequence[str], motion_text: str | None,
                     side: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate, the features of "the speech makes this claim", and the piece that makes it best.

    Features: best and top-3 mean hybrid score over the pieces, best and top-3 mean encoder cosine, and
    whether the candidate argues the speaker's side (stance model; 0 when the side is unknown); the same
    five again for a one-sentence input, and a one-sentence flag."""
    cand = HybridIndex([str(i) for i in range(len(candidates))], list(candidates),
                       background=[s.text for s in index.body] or list(candidates),
                       dense_gate=index.claim_index.dense_gate, encoder_weight=index.claim_index.encoder_weight)
    hyb = cand.scores_many(list(pieces)).astype(np.float64).reshape(len(pieces), len(candidates))
    if cand.ft_vecs is not None:
        enc = np.array([cand.ft_vecs @ encode_query(p) for p in pieces], dtype=np.float64)
    else:
        enc = hyb
    enc = enc.reshape(len(pieces), len(candidates))
    agree = np.zeros(len(candidates))
    if side in ("pro", "con") and motion_text:
        for j, st in enumerate(predict_stance(motion_text, list(candidates))):
            agree[j] = (st.pro if side == "pro" else 1 - st.pro) - 0.5

    def top3(m: np.ndarray) -> np.ndarray:
        k = min(3, m.shape[0])
        return np.sort(m, axis=0)[::-1][:k].mean(axis=0)

    base = np.stack([hyb.max(axis=0), top3(hyb), enc.max(axis=0), top3(enc), agree], axis=1)
    # one sentence and a whole speech are different tasks: the model gets the shape of the input too
    single = np.full((len(candidates), 1), 1.0 if len(pieces) == 1 else 0.0)
    return np.hstack([base, base * single, single]), hyb.argmax(axis=0)


def _candidate_mentions(index: ArticleIndex, pieces: Sequence[str], candidates: Sequence[str],
                        motion_text: str | None, side: str | None) -> list[Mention]:
    feats, best = _mention_features(index, pieces, candidates, motion_text, side)
    coef, intercept = _mention_weights()
    p = 1.0 / (1.0 + np.exp(-(feats @ coef + intercept)))
    return [Mention(float(p[j]), bool(p[j] >= MENTIONED), pieces[int(best[j])] if p[j] >= MENTIONED else None,
                    features=tuple(float(x) for x in feats[j])) for j in range(len(candidates))]


_NEGATION = re.compile(r"\b(?:not|no|never|nothing|none|nobody|wrong|false|myth|hardly|cannot)\b|n't\b", re.I)
_CONTRAST = re.compile(r"\b(?:but|however|yet|although|though|instead|rather|whereas)\b", re.I)


def _contests(point: str, claim: str) -> bool:
    """True when a point pushes back on a claim it resembles: a contrast, or a negation the claim lacks."""
    return bool(_CONTRAST.search(point)) or len(_NEGATION.findall(point)) > len(_NEGATION.findall(claim))


def listen(index: ArticleIndex, text: str, motion_id: str | None = None, side: str | None = None,
           candidates: Sequence[str] | None = None) -> Hearing:
    """The points a speech makes, each with its span and kind, and which candidate claims it makes.

    Cached per article index: in a round one speech is heard by the judge, by the bot composing its answer
    and by the clash at the end, with the same arguments each time."""
    if candidates is not None:
        return _listen(index, text, motion_id, side, candidates)
    key = (id(index), text or "", motion_id, side)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0]() is index:
            _CACHE.move_to_end(key)
            return _copy(hit[1])
    hearing = _listen(index, text, motion_id, side, None)
    with _CACHE_LOCK:
        _CACHE[key] = (weakref.ref(index), hearing)
        while len(_CACHE) > LISTEN_CACHE_SIZE:
            _CACHE.popitem(last=False)
    return _copy(hearing)


def _copy(hearing: Hearing) -> Hearing:
    """A hearing whose lists the caller may change without touching the cached one (points are frozen)."""
    return Hearing(list(hearing.points), list(hearing.claims), hearing.side, hearing.language)


def _listen(index: ArticleIndex, text: str, motion_id: str | None, side: str | None,
            candidates: Sequence[str] | None) -> Hearing:
    text = text or ""
    motion = index.motion(motion_id) if motion_id else None
    motion_text = motion.text if motion else None
    spans = _segments(text)
    pieces = [text[s:e] for s, e in spans]
    claims = index.claims
    if motion is not None:
        allowed = np.array([c.motion == motion.id or c.motion in index.alignment.get(motion.id, {}) for c in claims])
    else:
        allowed = np.ones(len(claims), dtype=bool)

    # per piece: topicality, the best claims (raw hybrid score), stance toward the motion
    topics = [topicality(index, p, motion_text) for p in pieces]
    foreign = sum(t.reason == "not_english" for t in topics)
    language = "other" if foreign and foreign * 2 >= len([t for t in topics if t.reason != "empty"]) else "en"
    # claims of the motion itself get a small lift over those of neighbouring motions
    lift = np.array([_SAME_MOTION if motion is not None and c.motion == motion.id else 0.0 for c in claims])
    raw = list(np.where(allowed, index.claim_index.scores_many(pieces) + lift, -1.0)) if len(claims) else \
        [np.zeros(0) for _ in pieces]
    on = [i for i, t in enumerate(topics) if t.on_topic]
    st_motion = motion_text or (index.pack.motions[0].text if index.pack.motions else "")

    def stances(ids: list[int]) -> dict[int, tuple[str, float]]:
        if not ids or language != "en":
            return {}
        return {i: (st.label, st.confidence) for i, st in zip(ids, predict_stance(st_motion, [pieces[i] for i in ids]),
                                                                 strict=True)}

    # a point's stance comes from the claim it makes; the stance model (slow, and weak on unseen motions)
    # is asked only when the speaker's side must be inferred; the judge asks it about the rest
    stance_of: dict[int, tuple[str, float]] = {}

    # the speaker's side: given; else the side of the claims the speech clearly makes; else its stance
    if side is None and motion is not None:
        votes = {"pro": 0.0, "con": 0.0}
        for r in raw:
            j = int(r.argmax()) if len(r) else -1
            if j >= 0 and r[j] >= MATCH_FLOOR:
                implied = index.side_on(claims[j], motion.id)
                if implied:
                    votes[implied] += calibrate(float(r[j]))
        if votes["pro"] == votes["con"]:
            stance_of.update(stances([i for i in on if i not in stance_of]))
            for label, conf in stance_of.values():
                votes[label] += conf - 0.5
        side = max(votes, key=votes.get) if votes["pro"] != votes["con"] else None

    points: list[Point] = []
    for i, (s, e) in enumerate(spans):
        piece, topic = pieces[i], topics[i]
        content = len(tokenize(piece))
        best_j = int(raw[i].argmax()) if len(raw[i]) else -1
        best_raw = float(raw[i][best_j]) if best_j >= 0 else -1.0
        claim_on = best_raw >= MATCH_FLOOR
        if not topic.on_topic and not (claim_on and content >= _MIN_CONTENT):
            points.append(Point(piece, s, e, "off_topic", None, topic=topic.score))
            continue
        label = stance_of.get(i, (None, 0.0))[0]
        kind, claim_id, match = "new", None, 0.0
        reported = bool(_REPORTED.match(piece))
        if side is not None and motion is not None:
            # "They say X" reports the other side's claim (to attack it); otherwise prefer a claim of the
            # speaker's own side when it is nearly as close as the best
            want = other_side(side) if reported else side
            lift = _REPORTED_MARGIN if reported else _OWN_SIDE_LIFT
            pick = [j for j, c in enumerate(claims) if allowed[j] and index.side_on(c, motion.id) == want]
            if pick:
                j2 = max(pick, key=lambda j: raw[i][j])
                if raw[i][j2] >= MATCH_FLOOR - (lift if reported else 0.0) and raw[i][j2] + lift >= best_raw:
                    best_j = j2
                    claim_on = True
        if claim_on:
            claim = claims[best_j]
            if side is not None and motion is not None:
                implied = index.implied_side(side, motion.id, claim)
                kind = "own" if implied in (None, claim.side) else "attack"
            elif side is not None:
                kind = "own" if claim.side == side else "attack"
            else:
                kind = "own"
            claim_id, match = claim.id, calibrate(float(raw[i][best_j]))
            if label is None and motion is not None:
                # a claim's side is known: the point argues it (own), or argues against it (an attack that
                # reports it or contests it); an attack that only restates it concedes it
                claim_side = index.side_on(claim, motion.id)
                if claim_side is not None:
                    contests = kind == "attack" and (reported or _contests(piece, claim.text))
                    label = claim_side if kind == "own" or not contests else other_side(claim_side)
        substance = min(1.0, content / 8)
        weight = float(max(topic.score, 0.5 if claim_on else 0.0) * (0.5 + 0.5 * max(match, 0.3)) * (0.4 + 0.6 * substance))
        points.append(Point(piece, s, e, kind, claim_id, label, weight, match, topic.score))

    mentions: list[Mention] = []
    if candidates is not None:
        cands = list(candidates)
        if cands and pieces:
            mentions = _candidate_mentions(index, pieces, cands, motion_text, side)
        else:
            mentions = [Mention(0.0, False, None) for _ in cands]
    else:
        for j, c in enumerate(claims):
            col = [float(r[j]) for r in raw] if raw else []
            if not col:
                mentions.append(Mention(0.0, False, None, c.id))
                continue
            i = int(np.argmax(col))
            sc = calibrate(col[i]) if col[i] > -1 else 0.0
            mentions.append(Mention(sc, sc >= MENTIONED, pieces[i] if sc >= MENTIONED else None, c.id))
    return Hearing(points, mentions, side, language)

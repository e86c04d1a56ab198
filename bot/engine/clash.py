"""The clash of a round: which points of each side stood unanswered, and which the other side answered.

A point is what listening hears (listening.py). An opponent's point counts as answered by a later
point of the other side when that point
- takes on the same pack claim from the other direction (attacks it, or defends the claim it attacked);
- is one of the pack's answers to it (`pack.answers`, either direction); or
- says something close in meaning (the encoder's cosine) and does not argue the first point's side
  (by the stance model); or names the opponent ("my opponent says…") while close to the point.

The weighing sums the weights of each side's points that stood; a point the other side never had a
turn to answer (made after its last speech) counts half, as a judge discounts new points in a reply.

The judge's engagement criterion (scoring.py) and the round results use the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .index import ArticleIndex, other_side
from .listening import Hearing, Point, listen
from .matcher import embed, encode_query, encoder_available, tokenize

# two points this close in meaning (fine-tuned encoder cosine) are about the same thing
CLOSE = 0.5
# the same, for WordLlama vectors when the encoder files are absent
CLOSE_WORDLLAMA = 0.6
# a reply that names the opponent ("my opponent says…", "they claim…") and is this close takes the point on
REFER_CLOSE = 0.4
OPPONENT_REF = re.compile(r"\b(my opponents?|the other side|opposition|proposition|they (said|say|claim|argue|"
                          r"told us)|their (point|case|claim|argument)|you (said|say|claim|argue)|my friend)\b", re.I)
# points lighter than this are asides, not points of the case
MIN_WEIGHT = 0.15
# a point needs this many content words of its own (outside quotes and the motion's words) to be a point
# of the case: "The article: “…” (paragraph 3)" backs the point before it, "You said: “…”" is the other
# side's point, and "We are proud to propose: <the motion>" is no point at all
MIN_OWN_WORDS = 3
# words that frame a point rather than make it (stems, as `tokenize` gives them)
_FRAMING = frozenset({"first", "second", "third", "fourth", "fifth", "final", "last", "next", "oppon", "said", "say",
                      "claim", "argu", "point", "stand", "articl", "paragraph", "side", "answer", "repli", "let", "us"})


@dataclass(frozen=True)
class ClashPoint:
    """One point of a side's case, and what answered it (None when it stood)."""

    side: str
    span: str
    claim_id: str | None
    weight: float
    speech: int  # index of the speech it was made in
    answered_by: str | None = None  # the other side's words that answered it
    answered_in: int | None = None  # index of that speech

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"side": self.side, "span": self.span, "claim_id": self.claim_id, "weight": round(self.weight, 3),
                "speech": self.speech, "answered_by": self.answered_by, "answered_in": self.answered_in}


@dataclass(frozen=True)
class Clash:
    """The weighed clash of a round."""

    stood: dict[str, list[ClashPoint]]  # side -> its points nobody answered, heaviest first
    answered: dict[str, list[ClashPoint]]  # side -> its points the other side answered
    standing: dict[str, float] = field(default_factory=dict)  # side -> weight of its points that stood
    leader: str | None = None  # the side whose standing case weighs more (None: even)
    reason: str = ""  # one paragraph, in plain words

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"stood": {s: [p.to_dict() for p in v] for s, v in self.stood.items()},
                "answered": {s: [p.to_dict() for p in v] for s, v in self.answered.items()},
                "standing": {s: round(w, 3) for s, w in self.standing.items()},
                "leader": self.leader, "reason": self.reason}


def _vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors for closeness in meaning (the fine-tuned encoder, else WordLlama)."""
    if not texts:
        return np.zeros((0, 1))
    if encoder_available():
        return np.stack([encode_query(t) for t in texts])
    v = embed(list(texts))
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of `text` inside quotation marks (curly, straight, single, guillemets; nested too).

    An apostrophe (a letter on both sides, or a word's last letter before it) is not a quotation mark."""
    out: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    pairs = {"“": "”", "«": "»", "‹": "›", "‘": "’", "„": "“"}
    n = len(text)
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        if stack and ch == stack[-1][0] and not prev.isspace() and not (ch in "’'" and nxt.isalnum()):
            _, start = stack.pop()
            if not stack:
                out.append((start, i + 1))
            continue
        if ch in pairs and not (ch == "‘" and prev.isalnum()) and not nxt.isspace():
            stack.append((pairs[ch], i))
        elif ch in "\"'" and not prev.isalnum() and prev not in "’'" and not nxt.isspace():
            stack.append((ch, i))
    if stack:  # an unclosed quotation runs to the end
        out.append((stack[0][1], n))
    return out


def own_words(text: str, start: int, end: int, quoted: Sequence[tuple[int, int]],
              motion_text: str | None = None) -> str:
    """The words of text[start:end] outside quotation marks and without the motion's wording."""
    chars = list(text[start:end])
    for a, b in quoted:
        for k in range(max(a, start), min(b, end)):
            chars[k - start] = " "
    out = "".join(chars)
    if motion_text:
        out = re.sub(re.escape(motion_text.rstrip(".")), " ", out, flags=re.I)
    return out


def case_points(hearing: Hearing, text: str, motion_text: str | None = None) -> list[Point]:
    """The points of a hearing of `text` that make a case: on topic, not asides, not only quotes or the motion."""
    quoted = quoted_ranges(text)
    return [p for p in hearing.points if p.kind != "off_topic" and p.weight >= MIN_WEIGHT
            and sum(1 for w in tokenize(own_words(text, p.start, p.end, quoted, motion_text))
                    if w not in _FRAMING and not w.isdigit()) >= MIN_OWN_WORDS]


def answers(index: ArticleIndex, said: Point, reply: Point, closeness: float, said_side: str | None = None) -> bool:
    """True when `reply` (the other side's point) answers `said` (made by `said_side`); `closeness` is their cosine."""
    if said.claim_id and reply.claim_id:
        if said.claim_id == reply.claim_id and {said.kind, reply.kind} == {"own", "attack"}:
            return True
        if said.kind == "own" and reply.kind == "own":
            if reply.claim_id in {c.id for c in index.pack.answers(said.claim_id)}:
                return True
            if said.claim_id in {c.id for c in index.pack.answers(reply.claim_id)}:
                return True
    threshold = CLOSE if encoder_available() else CLOSE_WORDLLAMA
    if OPPONENT_REF.search(reply.span) and closeness >= min(threshold, REFER_CLOSE):
        return True
    if said_side is not None:  # the speakers' sides are known: the reply only must not argue the other's side
        opposed = reply.stance != said_side
    else:
        opposed = said.stance is not None and reply.stance is not None and said.stance != reply.stance
    return opposed and closeness >= threshold


def answered_points(index: ArticleIndex, said: Sequence[Point], replies: Sequence[Point],
                    said_side: str | None = None) -> list[tuple[Point, Point | None]]:
    """Each of the points `said` (by `said_side`) with the point of `replies` (the other side's) that answers it."""
    if not said:
        return []
    sv, rv = _vectors([p.span for p in said]), _vectors([p.span for p in replies])
    cos = sv @ rv.T if len(replies) else np.zeros((len(said), 0))
    out: list[tuple[Point, Point | None]] = []
    for i, p in enumerate(said):
        hits = [j for j, q in enumerate(replies) if answers(index, p, q, float(cos[i, j]), said_side)]
        out.append((p, replies[max(hits, key=lambda j: cos[i, j])] if hits else None))
    return out


def _quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[:limit].rsplit(' ', 1)[0] + '…'}”"


def weigh_clash(index: ArticleIndex, motion_id: str | None, speeches: Sequence[tuple[str, str]],
                names: Mapping[str, str] | None = None) -> Clash:
    """Weigh a round's clash from its speeches in speaking order, each (side "pro"|"con", text).

    `names` gives the sides' display names for the reason (default "Pro" and "Con"). A point that the
    other side never had a turn to answer (made after its last speech) counts half in the weighing."""
    bad = {side for side, _ in speeches} - {"pro", "con"}
    if bad:
        raise ValueError(f"sides must be pro or con, not {sorted(bad)}")
    hearings = [(side, listen(index, text, motion_id, side)) for side, text in speeches]
    motion = index.motion(motion_id)
    motion_text = motion.text if motion else None
    cases = [case_points(h, text, motion_text) for (_, h), (_, text) in zip(hearings, speeches, strict=True)]
    sides = ["pro", "con"]
    made: dict[str, list[ClashPoint]] = {s: [] for s in sides}
    seen: dict[str, set[str]] = {s: set() for s in sides}
    for k, (side, _) in enumerate(hearings):
        # the other side's later speeches, heard together as one reply
        later = [j for j, (s, _) in enumerate(hearings) if j > k and s == other_side(side)]
        where: dict[int, int] = {}
        reply_points: list[Point] = []
        for j in later:
            for p in cases[j]:
                where[id(p)] = j
                reply_points.append(p)
        pairs = answered_points(index, cases[k], reply_points, side)
        for p, q in pairs:
            key = p.claim_id or " ".join(p.span.lower().split())
            if key in seen[side]:
                continue  # the same point made again: weighed once
            seen[side].add(key)
            made[side].append(ClashPoint(side, p.span, p.claim_id, p.weight, k,
                                         q.span if q else None, where.get(id(q)) if q else None))
    stood = {s: sorted((p for p in made[s] if p.answered_by is None), key=lambda p: -p.weight) for s in sides}
    answered = {s: sorted((p for p in made[s] if p.answered_by is not None), key=lambda p: -p.weight)
                for s in sides}
    last = {s: max((k for k, (side, _) in enumerate(speeches) if side == s), default=-1) for s in sides}

    def counted(p: ClashPoint) -> float:
        return p.weight if last[other_side(p.side)] > p.speech else 0.5 * p.weight

    standing = {s: sum(counted(p) for p in stood[s]) for s in sides}
    leader = None
    if abs(standing["pro"] - standing["con"]) >= 0.1:
        leader = max(sides, key=lambda s: standing[s])
    shown = {"pro": "Pro", "con": "Con", **(names or {})}
    return Clash(stood, answered, standing, leader, _reason(stood, answered, standing, leader, shown))


def _reason(stood: dict[str, list[ClashPoint]], answered: dict[str, list[ClashPoint]], standing: dict[str, float],
            leader: str | None, names: Mapping[str, str]) -> str:
    """One paragraph weighing the clash."""
    parts: list[str] = []
    for s in ("pro", "con"):
        name, other = names[s], names[other_side(s)]
        if not stood[s] and not answered[s]:
            parts.append(f"{name} made no point on the motion.")
            continue
        bits = []
        if stood[s]:
            n = len(stood[s])
            bits.append(f"{n} point{'s' if n != 1 else ''} stood unanswered (the strongest: {_quote(stood[s][0].span)})")
        if answered[s]:
            p = answered[s][0]
            n = len(answered[s])
            bits.append(f"{other} answered {n} (e.g. {_quote(p.span, 60)} with {_quote(p.answered_by or '', 60)})")
        parts.append(f"{name}: " + "; ".join(bits) + ".")
    if leader is None:
        parts.append("On the clash the sides were even: neither kept clearly more of its case standing.")
    else:
        lo = other_side(leader)
        parts.append(f"On the clash {names[leader]} came out ahead: more of its case stood "
                     f"({standing[leader]:.1f} against {standing[lo]:.1f} by weight)"
                     + (f", and it answered {len(answered[lo])} of {names[lo]}'s points." if answered[lo] else "."))
    return " ".join(parts)

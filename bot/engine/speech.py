"""The bot's own speeches, composed from the pack and the article, fitted to a time budget.

- Every sentence that states a fact from the article cites it, word for word, with its paragraph;
  a quote is attributed to a person only when the article quotes that person.
- Openings put first the points that answer what the opponent has already said, then the rest.
- Rebuttals answer the opponent's heaviest points in their own words ("My opponent said: “…”").
- Closings weigh the clash: which of our points stood unanswered, and which of theirs we answered.
- A speech never asserts two claims of one consistency group with different positions, and never
  repeats a claim already used in the round.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from .index import ArticleIndex, key_quote, lc_first, other_side
from .listening import Hearing, Point, listen
from .pack import Claim, Evidence, Motion
from .rebuttal import answer_point
from .results import BotSpeech, Rebuttal

WORDS_PER_MINUTE = 150
ORDINALS = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh"]
KIND_ALIASES = {
    "opening": "opening", "constructive": "opening", "first": "opening", "prop": "opening", "opp": "opening",
    "second": "opening", "extension": "opening", "member": "opening", "deputy": "rebuttal",
    "rebuttal": "rebuttal", "rebut": "rebuttal", "poi": "poi", "point": "poi", "crossfire": "poi",
    "closing": "closing", "summary": "closing", "whip": "closing", "final": "closing", "reply": "reply",
}
# the same move, worded a few ways; which one a speech uses depends on the round so far
_INTROS = {
    "pro": ["We support the motion: {m}.", "Our side stands for the motion: {m}.", "We are proud to propose: {m}."],
    "con": ["We oppose the motion: {m}.", "Our side stands against the motion: {m}.", "We reject the motion: {m}."],
}
_ANSWER_LEADS = ["That answers what my opponent said: “{q}”.", "It meets their point head on: “{q}”.",
                 "Which is the reply to “{q}”."]


def budget_words(seconds: int) -> int:
    """How many words fit in `seconds` at a speaking pace."""
    return max(25, int(seconds * WORDS_PER_MINUTE / 60))


def _words(text: str) -> int:
    return len(text.split())


def _stance(side: str) -> str:
    return "support" if side == "pro" else "oppose"


def _same(a: str, b: str) -> bool:
    """True when a claim's words are just its quote (drafted packs): don't say it twice."""
    import re

    def norm(x: str) -> set[str]:
        return set(re.findall(r"[a-z0-9]+", x.lower()))

    na, nb = norm(a), norm(b)
    return bool(na) and len(na & nb) / len(na) >= 0.8


def _pick(options: list[str], *seed: object) -> str:
    h = int(hashlib.sha256("|".join(map(str, seed)).encode()).hexdigest()[:8], 16)
    return options[h % len(options)]


def _ordinal(i: int) -> str:
    return ORDINALS[i] if i < len(ORDINALS) else "Next"


class _Builder:
    """The speech so far: its sentences, the claims and evidence it used, and the clash positions taken."""

    def __init__(self, index: ArticleIndex, budget: int, used: Collection[str]) -> None:
        self.index = index
        self.budget = budget
        self.parts: list[str] = []
        self.claims: list[str] = []
        self.evidence: list[Evidence] = []
        self.answers: list[Rebuttal] = []
        self.taken: set[str] = set(used)
        self.groups: dict[str, str] = {}
        for cid in used:
            c = index.pack.claim(cid)
            if c is not None and c.group:
                topic, _, pos = c.group.partition(":")
                self.groups.setdefault(topic, pos)

    @property
    def used(self) -> int:
        return sum(_words(p) for p in self.parts)

    def fits(self, text: str, reserve: int = 0) -> bool:
        return self.used + _words(text) + reserve <= self.budget

    def consistent(self, claim: Claim) -> bool:
        """False when the claim contradicts one this speaker already asserted (same group, other position)."""
        if not claim.group:
            return True
        topic, _, pos = claim.group.partition(":")
        return self.groups.get(topic, pos) == pos

    def add(self, text: str, claim: Claim | None = None, ev: Evidence | None = None) -> None:
        self.parts.append(text)
        if claim is not None:
            self.taken.add(claim.id)
            if claim.id not in self.claims:
                self.claims.append(claim.id)
            if claim.group:
                topic, _, pos = claim.group.partition(":")
                self.groups.setdefault(topic, pos)
        if ev is not None:
            self.evidence.append(ev)

    def cite(self, ev: Evidence | None, holder: str | None) -> str:
        """One sentence quoting `ev` with its paragraph, said by the person the article quotes, else by the article."""
        if ev is None:
            return "(A general argument, not from the article.)"
        who = self.index.speaker(ev, holder)
        lead = f"As {who} put it" if who else "The article"
        return f"{lead}: “{ev.quote}” (paragraph {ev.paragraph})."

    def lc(self, text: str) -> str:
        return lc_first(text, self.index.names)


def _claim_sentence(b: _Builder, lead: str, claim: Claim, *, quote: bool = True) -> tuple[str, Evidence | None]:
    ev = key_quote(claim)
    if ev is None:
        return f"{lead}, {b.lc(claim.text).rstrip('.')}. {b.cite(None, claim.holder)}", None
    if _same(claim.text, ev.quote):
        return f"{lead}, consider this. {b.cite(ev, claim.holder)}", ev
    body = f"{lead}, {b.lc(claim.text).rstrip('.')}."
    if quote:
        return f"{body} {b.cite(ev, claim.holder)}", ev
    return body, None


def _answer_text(b: _Builder, lead: str, r: Rebuttal, *, who: str = "my opponent") -> str:
    quote = r.opponent_quote.rstrip(".")
    verb = "took on our case" if r.point_kind == "attack" else "said"
    said = f"{lead}, {who} {verb}: “{quote}”." if lead else f"{who[0].upper()}{who[1:]} {verb}: “{quote}”."
    if r.source == "general":
        return f"{said} But {b.lc(r.text).rstrip('.')}. (That is a general answer, not from the article.)"
    ev = r.evidence[0]
    if r.point_kind == "attack" and r.matched_claim is not None and r.claim.id == r.matched_claim.id:
        return f"{said} Our point stands: {b.lc(r.claim.text).rstrip('.')}. {b.cite(ev, r.claim.holder)}"
    if _same(r.text, ev.quote):
        return f"{said} But the article answers it. {b.cite(ev, r.claim.holder)}"
    return f"{said} But {b.lc(r.text).rstrip('.')}. {b.cite(ev, r.claim.holder)}"


def _hear(index: ArticleIndex, motion: Motion, side: str, opponent_text: str) -> Hearing | None:
    if not opponent_text.strip():
        return None
    return listen(index, opponent_text, motion.id, other_side(side))


def _answers(b: _Builder, motion: Motion, side: str, hearing: Hearing | None, limit: int) -> list[Rebuttal]:
    """Answers to the opponent's points, heaviest first, none repeated and none contradicting us."""
    out: list[Rebuttal] = []
    if hearing is None:
        return out
    seen_claims: set[str] = set()
    for p in hearing.on_topic():
        if len(out) >= limit:
            break
        if p.claim_id and p.claim_id in seen_claims:
            continue  # the same point made twice is answered once
        r = _answer_consistent(b, p, motion, other_side(side))
        if r is None:
            continue
        if p.claim_id:
            seen_claims.add(p.claim_id)
        b.taken.add(r.claim.id)
        out.append(r)
    return out


def _answer_consistent(b: _Builder, p: Point, motion: Motion, speaker_side: str) -> Rebuttal | None:
    exclude = set(b.taken)
    for _ in range(4):
        r = answer_point(b.index, p, motion, speaker_side, exclude)
        if r is None or b.consistent(r.claim):
            return r
        exclude.add(r.claim.id)
    return None


def _opening(b: _Builder, motion: Motion, side: str, hearing: Hearing | None, seed: str) -> None:
    intro = _pick(_INTROS[side], seed).format(m=motion.text.rstrip("."))
    close = f"For these reasons, we {_stance(side)} the motion."
    b.add(intro)
    own = [c for c in b.index.pack.claims_for(motion.id, side) if c.id not in b.taken]
    points_of_own = [c for c in own if not c.reply_only]
    # points that answer what the opponent already said come first, each naming what it answers
    answering: list[tuple[Claim, Point]] = []
    if hearing is not None:
        for p in hearing.on_topic():
            if not p.claim_id or p.kind != "own":
                continue
            for a in b.index.pack.answers(p.claim_id):
                if a in own and all(a.id != x.id for x, _ in answering):
                    answering.append((a, p))
                    break
    rest = sorted((c for c in points_of_own if all(c.id != x.id for x, _ in answering)), key=lambda c: -b.index.strength(c))
    order: list[tuple[Claim, Point | None]] = [*answering, *((c, None) for c in rest)]
    i = 0
    for c, p in order:
        if not b.consistent(c):
            continue
        text, ev = _claim_sentence(b, _ordinal(i), c)
        if p is not None:
            text += " " + _pick(_ANSWER_LEADS, seed, c.id).format(q=p.span.rstrip("."))
        if b.fits(text, reserve=_words(close)) or i == 0:
            b.add(text, c, ev)
            i += 1
        elif i >= 2:
            break
    b.add(close)


def _rebuttal(b: _Builder, motion: Motion, side: str, hearing: Hearing | None, *, max_points: int = 4,
              intro: bool = True) -> None:
    answers = _answers(b, motion, side, hearing, max_points)
    if intro:
        if answers:
            b.add("Let me answer what we just heard.")
        elif hearing is not None and not hearing.on_topic():
            b.add("My opponent made no point about the motion, so let me answer the strongest case their side has.")
        else:
            b.add("Let me answer the strongest case the other side has.")
    for i, r in enumerate(answers):
        text = _answer_text(b, _ordinal(i), r)
        if not (b.fits(text, reserve=12) or i == 0):
            break
        b.add(text, r.claim, r.evidence[0] if r.evidence else None)
        b.answers.append(r)
    if answers or not intro:
        return
    # nothing said to answer: take on the other side's strongest claims, attributed to them, not to the opponent
    opp = other_side(side)
    n = 0
    for c in sorted(b.index.pack.claims_for(motion.id, opp), key=lambda c: -b.index.strength(c)):
        counter = next((a for a in b.index.pack.answers(c.id) if a.side == side and a.id not in b.taken
                        and b.consistent(a)), None)
        if counter is None:
            continue
        ev = key_quote(counter)
        text = (f"{_ordinal(n)}, the other side may claim that {b.lc(c.text).rstrip('.')}. "
                f"But {b.lc(counter.text).rstrip('.')}. {b.cite(ev, counter.holder)}")
        if not (b.fits(text, reserve=12) or n == 0):
            break
        b.add(text, counter, ev)
        n += 1
        if n >= max_points:
            break


def _closing(b: _Builder, motion: Motion, side: str, hearing: Hearing | None, used: Collection[str], *,
             reply: bool = False) -> None:
    b.add(("In reply, " if reply else "To close, ") + "let us weigh the clash.")
    ours = [c for cid in used if (c := b.index.pack.claim(cid)) is not None and c.side == side
            and c.motion == motion.id]
    attacked = {p.claim_id for p in (hearing.points if hearing else []) if p.kind == "attack" and p.claim_id}
    stood = [c for c in ours if c.id not in attacked]
    contested = [c for c in ours if c.id in attacked]
    if not ours:
        stood = [c for c in sorted(b.index.pack.claims_for(motion.id, side), key=lambda c: -b.index.strength(c))
                 if b.consistent(c) and not c.reply_only][:2]
    for n, c in enumerate(stood[:2]):
        ev = key_quote(c)
        lead = ("Our point stood unanswered", "Nor did they answer this")[n] if ours else \
            ("Our case rests on this", "And on this")[n]
        text = f"{lead}: {b.lc(c.text).rstrip('.')}. {b.cite(ev, c.holder)}"
        if not (b.fits(text, reserve=30) or n == 0):
            break
        b.add(text, c, ev)
    for c in contested[:1]:
        ev = key_quote(c)
        text = f"They challenged our point that {b.lc(c.text).rstrip('.')}, but it stands. {b.cite(ev, c.holder)}"
        if b.fits(text, reserve=25):
            b.add(text, c, ev)
    # their heaviest point still unanswered gets its answer now
    for r in _answers(b, motion, side, hearing, 1):
        text = _answer_text(b, "", r, who="and one more thing: my opponent")
        if b.fits(text, reserve=10):
            b.add(text, r.claim, r.evidence[0] if r.evidence else None)
            b.answers.append(r)
    b.add(f"On the clash that mattered, our side came out ahead, so we {_stance(side)} the motion.")


def compose(index: ArticleIndex, motion: Motion, side: str, kind: str, seconds: int, opponent_text: str = "",
            used: Collection[str] = ()) -> BotSpeech:
    """The bot's speech of `kind` for `side`, answering `opponent_text` and avoiding claims in `used`."""
    if side not in ("pro", "con"):
        raise ValueError(f"side must be pro or con, not {side!r}")
    k = KIND_ALIASES.get((kind or "opening").lower().split("-")[0].split("_")[0])
    if k is None:
        k = "rebuttal" if opponent_text.strip() else "opening"
    b = _Builder(index, budget_words(seconds), used)
    hearing = _hear(index, motion, side, opponent_text)
    seed = f"{motion.id}|{side}|{opponent_text}|{sorted(used)}"
    if k == "opening":
        _opening(b, motion, side, hearing, seed)
    elif k in ("rebuttal", "poi"):
        _rebuttal(b, motion, side, hearing, max_points=1 if k == "poi" else 4, intro=k != "poi")
        if k == "rebuttal" and b.used < b.budget * 0.6:
            # room left: add fresh constructive material
            fresh = [c for c in index.pack.claims_for(motion.id, side) if c.id not in b.taken and not c.reply_only]
            j = 0
            for c in sorted(fresh, key=lambda c: -b.index.strength(c)):
                if not b.consistent(c):
                    continue
                text, ev = _claim_sentence(b, ("Beyond that", "What is more", "And")[min(j, 2)], c)
                if not b.fits(text, reserve=10):
                    break
                b.add(text, c, ev)
                j += 1
        if k == "rebuttal":
            b.add(f"We {_stance(side)} the motion.")
    else:
        _closing(b, motion, side, hearing, used, reply=k == "reply")
    text = " ".join(b.parts)
    return BotSpeech(text=text, claim_ids=b.claims, evidence=b.evidence, kind=k, side=side, motion=motion.id,
                     words=_words(text), answers=b.answers)

"""The bot's own speeches, composed from the pack with verbatim quotes, fitted to a time budget."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from .pack import Claim, Evidence, Motion
from .results import BotSpeech, Decline

if TYPE_CHECKING:
    from .core import Engine

WORDS_PER_MINUTE = 150
ORDINALS = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh"]
KIND_ALIASES = {
    "opening": "opening", "constructive": "opening", "first": "opening", "prop": "opening", "opp": "opening",
    "second": "opening", "extension": "opening", "member": "opening", "deputy": "rebuttal",
    "rebuttal": "rebuttal", "rebut": "rebuttal", "poi": "poi", "point": "poi", "crossfire": "poi",
    "closing": "closing", "summary": "closing", "whip": "closing", "final": "closing", "reply": "reply",
}


def budget_words(seconds: int) -> int:
    return max(25, int(seconds * WORDS_PER_MINUTE / 60))


def lc_first(text: str) -> str:
    """Lower-case the first letter unless the first word is a name (Kim, American, Trump's...)."""
    if not text:
        return text
    first = text.split(" ", 1)[0].strip(",.;:'’")
    from .matcher import STOPWORDS

    if len(first) > 1 and (first[1].isupper() or first[1] == "."):  # U.S., NATO, UN-backed
        return text
    if first.lower() in STOPWORDS:
        return text[0].lower() + text[1:]
    if first in _NAMES or (first.endswith(("’s", "'s")) and first[:-2] in _NAMES) or first.isupper() or first == "I":
        return text
    return text[0].lower() + text[1:]


_NAMES: set[str] = set()


def learn_names(texts) -> None:
    """Remember words written capitalised in mid-sentence: they are names and keep their capital."""
    import re

    for t in texts:
        for line in t.splitlines():
            words = line.split()
            if words and sum(w[:1].isupper() for w in words) / len(words) > 0.6:
                continue  # a Title Case heading says nothing about which words are names
            for m in re.finditer(r"(?<=[a-z,;:] )([A-Z][a-zA-Z-]+)", line):
                _NAMES.add(m.group(1))


def _words(text: str) -> int:
    return len(text.split())


def _cite(ev: Evidence) -> str:
    return f"“{ev.quote}” (paragraph {ev.paragraph})"


def _stance(side: str) -> str:
    return "support" if side == "pro" else "oppose"


def _best_evidence(claim: Claim) -> Evidence:
    # the pack lists the key quote first; skip it only if it is too short or too long to read out
    usable = [e for e in claim.evidence if 5 <= _words(e.quote) <= 45]
    if usable:
        return usable[0]
    return min(claim.evidence, key=lambda e: _words(e.quote))


class _Builder:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.parts: list[str] = []
        self.claims: list[str] = []
        self.evidence: list[Evidence] = []

    @property
    def used(self) -> int:
        return sum(_words(p) for p in self.parts)

    def fits(self, text: str, reserve: int = 0) -> bool:
        return self.used + _words(text) + reserve <= self.budget

    def add(self, text: str, claim: Claim | None = None, ev: Evidence | None = None) -> None:
        self.parts.append(text)
        if claim is not None and claim.id not in self.claims:
            self.claims.append(claim.id)
        if ev is not None:
            self.evidence.append(ev)


def _same(a: str, b: str) -> bool:
    """True when a claim's words are just its quote (drafted packs): don't say it twice."""
    import re

    def norm(x: str) -> set[str]:
        return set(re.findall(r"[a-z0-9]+", x.lower()))

    na, nb = norm(a), norm(b)
    return bool(na) and len(na & nb) / len(na) >= 0.8


def _point(i: int, claim: Claim, *, quote: bool = True) -> tuple[str, Evidence]:
    ev = _best_evidence(claim)
    lead = ORDINALS[i] if i < len(ORDINALS) else "Next"
    if _same(claim.text, ev.quote):
        return f"{lead}, as the article says, {_cite(ev)}.", ev
    holder = "" if claim.holder in ("author", "") else f" As {claim.holder} put it:"
    body = f"{lead}, {lc_first(claim.text)}"
    if quote:
        body += f"{holder} {_cite(ev)}." if holder else f" The article: {_cite(ev)}."
    return body, ev


def _opening(eng: Engine, motion: Motion, side: str, seconds: int, used: Collection[str], b: _Builder) -> None:
    intro = f"We {_stance(side)} the motion: {motion.text}."
    close = f"For these reasons, we {_stance(side)} the motion."
    b.add(intro)
    claims = [c for c in eng.pack.claims_for(motion.id, side) if c.id not in used] or eng.pack.claims_for(motion.id, side)
    for i, c in enumerate(claims):
        text, ev = _point(i, c)
        if b.fits(text, reserve=_words(close)) or i == 0:
            b.add(text, c, ev)
        else:
            short, _ = _point(i, c, quote=False)
            if b.fits(short, reserve=_words(close)):
                b.add(short, c)
            break
    b.add(close)


def _rebuttal(eng: Engine, motion: Motion, side: str, opponent_text: str, used: Collection[str], b: _Builder,
              *, max_points: int = 4, intro: bool = True, linked_only: bool = False) -> None:
    from .article import split_sentences

    opp_side = "con" if side == "pro" else "pro"
    taken = set(used)
    found = []
    defended: list[Claim] = []
    sentences = [opponent_text[s:e] for s, e in split_sentences(opponent_text)] if opponent_text.strip() else []
    for sent in sentences:
        r = eng.rebut(sent, motion.id, opp_side, exclude=taken)
        if isinstance(r, Decline) or r.score < 0.5:
            continue
        if r.claim.side != side:
            # the opponent attacked one of our own claims, and the engine's answer is the other side's
            # point: the bot never argues against itself, it defends its claim instead
            if r.matched_claim.side == side and all(d.id != r.matched_claim.id for d in defended):
                defended.append(r.matched_claim)
            continue
        if any(r.matched_claim.id == f.matched_claim.id for f in found):
            continue
        if linked_only and r.claim.id not in {a.id for a in eng.pack.answers(r.matched_claim.id)}:
            continue
        taken.add(r.claim.id)
        found.append(r)
    found.sort(key=lambda r: -r.score)
    if intro:
        b.add("Let me answer what we just heard." if found or defended else
              "My opponents left their strongest case unsaid, so let me answer it.")
    if not found and not defended and intro:
        # pre-empt: answer the other side's best claims on this motion
        for c in eng.pack.claims_for(motion.id, opp_side):
            answers = [a for a in eng.pack.answers(c.id) if a.id not in taken]
            if answers:
                a = answers[0]
                taken.add(a.id)
                found.append(type("R", (), {"matched_claim": c, "claim": a, "evidence": [_best_evidence(a)]})())
            if len(found) >= max_points:
                break
    points = 0
    for claim in defended[:max_points]:
        ev = _best_evidence(claim)
        text = (f"{ORDINALS[points] if points < len(ORDINALS) else 'Next'}, they dispute that "
                f"{lc_first(claim.text.rstrip('.'))}. It stands: {_cite(ev)}.")
        if not (b.fits(text, reserve=12) or (points == 0 and intro)):
            return
        b.add(text, claim, ev)
        points += 1
    for i, r in enumerate(found[:max_points - points], start=points):
        ev = r.evidence[0]
        they = r.matched_claim.text.rstrip(".")
        but = "Yet" if " but " in r.claim.text.lower() else "But"
        answer = (f"But the article answers: {_cite(ev)}." if _same(r.claim.text, ev.quote)
                  else f"{but} {lc_first(r.claim.text)} The article: {_cite(ev)}.")
        text = f"{ORDINALS[i] if i < len(ORDINALS) else 'Next'}, they say: {lc_first(they)}. {answer}"
        if b.fits(text, reserve=12) or (i == 0 and intro):
            b.add(text, r.claim, ev)
        else:
            break


def _closing(eng: Engine, motion: Motion, side: str, opponent_text: str, used: Collection[str], b: _Builder,
             *, reply: bool = False) -> None:
    own = [c for c in eng.pack.claims_for(motion.id, side)]
    mine = [c for c in own if c.id in set(used)] or own[:3]
    b.add(("In reply, " if reply else "To close, ") + f"this debate came down to {len(mine[:3])} questions, and on each our side came out ahead.")
    for i, c in enumerate(mine[:3]):
        ev = _best_evidence(c)
        text = (f"{ORDINALS[i]}, remember: {_cite(ev)}." if _same(c.text, ev.quote)
                else f"{ORDINALS[i]}, {lc_first(c.text)} Remember: {_cite(ev)}.")
        if b.fits(text, reserve=25) or i == 0:
            b.add(text, c, ev)
        else:
            short = f"{ORDINALS[i]}, {lc_first(c.text)}"
            if b.fits(short, reserve=25):
                b.add(short, c)
            break
    if opponent_text.strip() and b.used < b.budget - 40:
        sub = _Builder(b.budget - b.used - 15)
        _rebuttal(eng, motion, side, opponent_text, set(used) | {c.id for c in mine[:3]}, sub, max_points=1, intro=False,
                  linked_only=True)
        for p in sub.parts:
            b.add(p.replace("First, they say", "And when they say", 1))
        b.claims.extend(x for x in sub.claims if x not in b.claims)
        b.evidence.extend(sub.evidence)
    b.add(f"So we {_stance(side)} the motion.")


def compose(eng: Engine, motion: Motion, side: str, kind: str, seconds: int, opponent_text: str = "",
            used: Collection[str] = ()) -> BotSpeech:
    if side not in ("pro", "con"):
        raise ValueError(f"side must be pro or con, not {side!r}")
    k = KIND_ALIASES.get((kind or "opening").lower().split("-")[0].split("_")[0])
    if k is None:
        k = "rebuttal" if opponent_text.strip() else "opening"
    b = _Builder(budget_words(seconds))
    if k == "opening":
        _opening(eng, motion, side, seconds, used, b)
    elif k in ("rebuttal", "poi"):
        _rebuttal(eng, motion, side, opponent_text, used, b, max_points=1 if k == "poi" else 4, intro=k != "poi")
        if k == "rebuttal" and b.used < b.budget * 0.6:
            # room left: add fresh constructive material
            fresh = [c for c in eng.pack.claims_for(motion.id, side) if c.id not in set(used) | set(b.claims)]
            for j, c in enumerate(fresh):
                text, ev = _point(len(b.claims), c)
                text = ("Beyond that", "What is more", "And")[min(j, 2)] + ", " + text.split(", ", 1)[1]
                if not b.fits(text, reserve=10):
                    break
                b.add(text, c, ev)
        if k == "rebuttal":
            b.add(f"We {_stance(side)} the motion.")
    else:
        _closing(eng, motion, side, opponent_text, used, b, reply=k == "reply")
    text = " ".join(b.parts)
    return BotSpeech(text=text, claim_ids=b.claims, evidence=b.evidence, kind=k, side=side, motion=motion.id,
                     words=_words(text))

"""Answer what was said: one point of the opponent's, quoted in their own words, with a counter-claim.

For the heaviest point that listening hears (see listening.py):
- the speaker's own claim is answered by a claim of the other side, the pack's linked answers first;
- an attack on one of our claims is answered by standing on that claim's evidence;
- an on-topic point the pack does not hold is answered from the article's own sentences that argue
  the other side (the stance model decides), or, when the article has nothing, by a general-purpose
  rebuttal from IBM's GPR-KB-55, instantiated for the motion and marked as not from the article.
An answer is always of the side opposite the speaker's, and never one already used in the round.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

import numpy as np

from .article import Sentence
from .gate import topicality
from .index import MATCH_FLOOR, ArticleIndex, calibrate, other_side, spans_overlap
from .listening import Hearing, Point, listen
from .matcher import encode_query, encoder_available
from .pack import Claim, Evidence, Motion
from .results import Decline, Rebuttal
from .stance import predict_stance

GPR_PATH = Path(__file__).resolve().parent / "models" / "gpr-kb55" / "GPR-KB-55.csv"
# an article sentence this close to the point (hybrid score) may answer it
SENTENCE_FLOOR = 0.30
# the stance model must be this sure that an article sentence argues the bot's side
SENTENCE_STANCE = 0.62
# a point this close to an article sentence restates it
ECHO = 0.55
# a claim this far below the match floor may still be the nearest thing the point is about
NEAR_MARGIN = 0.12
# a general-purpose claim this close (encoder cosine) to the point is the one it makes
GENERAL_FLOOR = 0.30
_MOTION_LEAD = re.compile(r"^\s*this house\s+(?:would|believes?\s+that|believes?|supports?|prefers?|regrets?|"
                          r"opposes?|should)\s+", re.I)

OFF_TOPIC = ("Nothing in the article is relevant to that, so I won't invent a rebuttal. "
             "Argue about something the article covers (the motions are listed by `motions`).")
NOT_ENGLISH = "I can only read English, so I can't answer that yet: please make your point in English."
EMPTY = "There is no argument to answer yet: say what you claim, in a sentence or two."
USED_UP = "I have already used every answer the article gives to that point in this round."


def _topic_phrase(motion: Motion) -> str:
    """What a motion is about, as a noun phrase ("suspending the joint exercises")."""
    text = _MOTION_LEAD.sub("", motion.text).strip().rstrip(".")
    text = re.split(r"\s+(?:should|must|would|will|is|are)\s+", text, maxsplit=1)[0]
    return text or motion.text


@lru_cache(maxsize=1)
def _general_claims() -> list[tuple[str, str, str]]:
    with GPR_PATH.open(encoding="utf-8") as f:
        return [(r["id"], r["claim"], r["rebuttal"]) for r in csv.DictReader(f)]


def _instantiate(template: str, motion: Motion) -> str:
    """A GPR-KB-55 template filled in for a motion."""
    topic = _topic_phrase(motion)
    text = template.replace("<ACTION><TOPIC>", "this proposal").replace("<TOPIC>", topic)
    text = re.sub(r"\[(\w+)/\w+\]", r"\1", text)
    return text[0].upper() + text[1:] if text else text


def general_claims() -> list[tuple[str, str, str]]:
    """GPR-KB-55's general-purpose claims as (id, claim template, rebuttal template)."""
    return list(_general_claims())


def instantiate_general(template: str, motion: Motion) -> str:
    """A GPR-KB-55 template filled in for a motion (as the general rebuttals are)."""
    return _instantiate(template, motion)


@lru_cache(maxsize=64)
def _general_vecs(motion_text: str) -> np.ndarray:
    from .encoder import get_encoder

    motion = Motion(id="m", text=motion_text)
    return get_encoder().encode([_instantiate(c, motion) for _, c, _ in _general_claims()])


def _general_answer(point: Point, motion: Motion, bot_side: str, exclude: Collection[str]) -> Rebuttal | None:
    if not encoder_available():
        return None
    sims = _general_vecs(motion.text) @ encode_query(point.span)
    for j in np.argsort(-sims):
        gid, claim, rebuttal = _general_claims()[int(j)]
        if sims[j] < GENERAL_FLOOR:
            return None
        if gid in exclude:
            continue
        text = _instantiate(rebuttal, motion)
        counter = Claim.model_construct(id=gid, motion=motion.id, side=bot_side, text=text, holder="general",
                                        evidence=[], phrasings=[], confidence=None)
        return Rebuttal(motion=motion, matched_claim=None, claim=counter, text=text, evidence=[],
                        score=float(sims[j]), side=bot_side, opponent_quote=point.span, source="general",
                        point_kind=point.kind)
    return None


def _sentence_answer(index: ArticleIndex, point: Point, motion: Motion, bot_side: str,
                     exclude: Collection[str]) -> Rebuttal | None:
    """An article sentence that argues the bot's side on the point's subject (a pack claim if one holds it)."""
    if not index.body:
        return None
    scores = index.sentence_index.scores(point.span)
    order = [int(j) for j in np.argsort(-scores)[:8] if scores[j] >= SENTENCE_FLOOR]
    order = [j for j in order if f"s{index.body[j].index}" not in exclude]
    if not order:
        return None
    restated = _restated(index, point.span, scores)
    sents = [index.body[j] for j in order]
    stances = predict_stance(motion.text, [s.text for s in sents])
    motion_claims = index.pack.claims_for(motion.id)
    for s, st, j in zip(sents, stances, order, strict=True):
        ev = Evidence(quote=s.text, start=s.start, end=s.end, paragraph=s.paragraph)
        if _echoes(restated, ev):
            continue  # the point restates this very sentence: quoting it back is no answer
        # a sentence that is evidence for a claim of the pack has that claim's side, whatever the model says
        sides = {c.side for c in motion_claims if any(spans_overlap(ev, e) for e in c.evidence)}
        if sides:
            if sides != {bot_side}:
                continue
        elif st.label != bot_side or st.confidence < SENTENCE_STANCE or \
                _nearest_side(index, s.text, motion) not in (None, bot_side):
            continue
        holder = next((c for c in index.pack.claims_for(motion.id, bot_side)
                       if c.id not in exclude and any(spans_overlap(ev, e) for e in c.evidence)), None)
        if holder is not None:
            return Rebuttal(motion=motion, matched_claim=None, claim=holder, text=holder.text, evidence=[ev],
                            score=float(scores[j]), side=bot_side, opponent_quote=point.span, point_kind=point.kind)
        counter = Claim.model_construct(id=f"s{s.index}", motion=motion.id, side=bot_side, text=s.text,
                                        holder="author", evidence=[ev], phrasings=[], confidence=None)
        return Rebuttal(motion=motion, matched_claim=None, claim=counter, text=s.text, evidence=[ev],
                        score=float(scores[j]), side=bot_side, opponent_quote=point.span, point_kind=point.kind)
    return None


def _restated(index: ArticleIndex, text: str, scores: np.ndarray | None = None) -> Sentence | None:
    """The article sentence a point restates (answering with it would echo the speaker), if any."""
    if not index.body:
        return None
    scores = index.sentence_index.scores(text) if scores is None else scores
    j = int(np.argmax(scores))
    return index.body[j] if scores[j] >= ECHO else None


def _echoes(restated: Sentence | None, ev: Evidence) -> bool:
    """True when `ev` covers the sentence the point restates."""
    return restated is not None and restated.start < (ev.end or 0) and (ev.start or 0) < restated.end


def _nearest_side(index: ArticleIndex, text: str, motion: Motion) -> str | None:
    """The side of the motion's pack claim nearest to `text` (a second opinion next to the stance model)."""
    scores = index.claim_index.scores(text)
    best = [(float(sc), c.side) for c, sc in zip(index.claims, scores, strict=True) if c.motion == motion.id]
    return max(best)[1] if best else None


def _claim_answer(index: ArticleIndex, point: Point, motion: Motion, bot_side: str,
                  exclude: Collection[str]) -> Rebuttal | None:
    """A pack claim of the bot's side against the claim the point makes or attacks."""
    matched = index.pack.claim(point.claim_id) if point.claim_id else None
    if matched is None:
        return None
    if point.kind == "attack":
        # they attacked our claim ("They say X, but…"): it stands on its evidence. A point that only
        # restates our claim concedes it (listening gives it our side's stance): standing on it would
        # agree with the speaker, so only evidence the point does not restate may be used
        restated = _restated(index, point.span) if point.stance == bot_side else None  # only a concession echoes
        ev = [e for e in matched.evidence if not _echoes(restated, e)]
        if matched.id not in exclude and ev:
            return Rebuttal(motion=motion, matched_claim=matched, claim=matched, text=matched.text,
                            evidence=ev, score=point.match, side=bot_side,
                            opponent_quote=point.span, point_kind=point.kind)
        return None
    # they made their own point: a counter of the other side of that claim's motion
    restated = _restated(index, point.span)
    scores = index.claim_index.scores(point.span)
    rank = {c.id: float(s) for c, s in zip(index.claims, scores, strict=True)}
    linked = [a for a in index.pack.answers(matched.id) if a.side != matched.side]
    others = [c for c in index.pack.claims_for(matched.motion)
              if c.side != matched.side and c not in linked and not c.reply_only]
    others.sort(key=lambda c: -rank.get(c.id, 0.0))
    linked.sort(key=lambda c: -rank.get(c.id, 0.0))
    for counter in [*linked, *others]:
        if counter.id in exclude:
            continue
        if counter.general:  # a general-purpose claim of the pack: said as such, with no quote
            return Rebuttal(motion=motion, matched_claim=matched, claim=counter, text=counter.text, evidence=[],
                            score=point.match, side=bot_side, opponent_quote=point.span, source="general",
                            point_kind=point.kind)
        ev = [e for e in counter.evidence if not any(spans_overlap(e, u) for u in matched.evidence)
              and not _echoes(restated, e)]
        if ev:
            return Rebuttal(motion=motion, matched_claim=matched, claim=counter, text=counter.text, evidence=ev,
                            score=point.match, side=bot_side, opponent_quote=point.span, point_kind=point.kind)
    return None


def _near_claim_answer(index: ArticleIndex, point: Point, motion: Motion, bot_side: str,
                       exclude: Collection[str]) -> Rebuttal | None:
    """For a point no claim matches outright: the nearest claims of the motion, a little below the floor.

    The nearest claim of the speaker's side is answered as if they had made it (its linked answers);
    the nearest claim of the bot's side answers the point directly. Whichever is closer wins."""
    if point.kind != "new" or not index.claims:
        return None
    scores = index.claim_index.scores(point.span)
    restated = _restated(index, point.span)
    near = [(float(s), c) for c, s in zip(index.claims, scores, strict=True)
            if c.motion == motion.id and s >= MATCH_FLOOR - NEAR_MARGIN]
    near.sort(key=lambda x: -x[0])
    for score, c in near:
        if c.side != bot_side:
            heard = Point(point.span, point.start, point.end, "own", c.id, point.stance, point.weight,
                          calibrate(score), point.topic)
            r = _claim_answer(index, heard, motion, bot_side, exclude)
            if r is not None:
                return r
        elif c.id not in exclude and not c.reply_only:
            ev = [e for e in c.evidence if not _echoes(restated, e)]
            if not ev:
                continue
            return Rebuttal(motion=motion, matched_claim=None, claim=c, text=c.text, evidence=ev,
                            score=calibrate(score), side=bot_side, opponent_quote=point.span, point_kind=point.kind)
    return None


def answer_point(index: ArticleIndex, point: Point, motion: Motion, speaker_side: str,
                 exclude: Collection[str] = ()) -> Rebuttal | None:
    """The bot's answer to one heard point, from the side opposite the speaker's (None if none is left)."""
    bot_side = other_side(speaker_side)
    for step in (_claim_answer, _near_claim_answer, _sentence_answer):
        r = step(index, point, motion, bot_side, exclude)
        if r is not None:
            return r
    return _general_answer(point, motion, bot_side, exclude)


def rebut(index: ArticleIndex, argument: str, motion: Motion | None, side: str | None,
          exclude: Collection[str] = (), hearing: Hearing | None = None) -> Rebuttal | Decline:
    """Answer the heaviest point of `argument` not yet answered, or decline honestly."""
    argument = (argument or "").strip()
    if not any(ch.isalnum() for ch in argument):
        return Decline(EMPTY)
    gate = topicality(index, argument, motion.text if motion else None)
    if gate.reason == "not_english":
        return Decline(NOT_ENGLISH)
    if motion is None:
        motion = index.infer_motion(argument)
    hearing = hearing or listen(index, argument, motion.id, side)
    points = hearing.on_topic()
    if not points:
        return Decline(OFF_TOPIC, score=gate.score)
    speaker = side or hearing.side or _side_of_claims(index, points) or "pro"
    for p in points:
        r = answer_point(index, p, motion, speaker, exclude)
        if r is not None:
            return r
    return Decline(USED_UP, score=gate.score)


def _side_of_claims(index: ArticleIndex, points: list[Point]) -> str | None:
    for p in points:
        c = index.pack.claim(p.claim_id) if p.claim_id else None
        if c is not None:
            return c.side
    return None

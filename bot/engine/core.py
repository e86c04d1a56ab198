"""The Engine: one article + one pack, indexed for matching, rebuttal, speeches and scoring."""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Collection
from pathlib import Path

import numpy as np

from .article import Article, load_article, parse_article
from .matcher import encoder_available
from .pack import Claim, Evidence, Motion, Pack, load_pack
from .results import BotSpeech, Decline, Rebuttal, SpeechScore

# A claim-match score below MATCH_FLOOR means "nothing in the article is about this". The score is
# the hybrid of centred WordLlama cosine and normalised BM25, blended half and half with the cosine
# of the fine-tuned MiniLM encoder (the ArgKP benchmark's encoder) when its model is present.
# The floor keeps the same rule in both cases: it sits at the 97th percentile of the best claim
# score of 1,000 ArgKP train arguments (debate arguments on unrelated topics) against the seed
# pack, where the hybrid's hand-set floor 0.34 sat (see benchmarks/RESULTS.md, Engine).
# The calibrated score is a logistic around the floor.
ENCODER_WEIGHT = 0.5 if encoder_available() else 0.0
MATCH_FLOOR = 0.39 if ENCODER_WEIGHT else 0.34
DENSE_GATE = 0.3
MATCH_SPREAD = 0.06
# how far behind the best match another claim may be and still count as "what the user said"
NEAR_BEST = 0.12
# without a known side, a rival claim of the other side this close makes the stance uncertain
AMBIGUOUS = 0.06


def calibrate(raw: float) -> float:
    return 1.0 / (1.0 + math.exp(-(raw - MATCH_FLOOR) / MATCH_SPREAD))


def _spans_overlap(a: Evidence, b: Evidence) -> bool:
    return a.start is not None and b.start is not None and a.start < b.end and b.start < a.end


class Engine:
    def __init__(self, article: Article, pack: Pack) -> None:
        import numpy as np

        from .matcher import HybridIndex, embed, tokenize

        self.article = article
        self.pack = pack
        self._tokenize = tokenize
        keys: list[str] = []
        texts: list[str] = []
        for c in pack.claims:
            for t in [c.text, *c.phrasings, *(e.quote for e in c.evidence)]:
                keys.append(c.id)
                texts.append(t)
        body = [s for s in article.sentences if not article.is_heading(s.paragraph)]
        self.body_sentences = body
        background = [s.text for s in body] or texts
        self.claim_index = HybridIndex(keys, texts, background=background, dense_gate=DENSE_GATE,
                                       encoder_weight=ENCODER_WEIGHT)
        self.claims = [pack.claim(k) for k in self.claim_index.uniq]
        self.sentence_index = HybridIndex([str(s.index) for s in body], [s.text for s in body], background=background,
                                          dense_gate=DENSE_GATE)
        from .scoring import _ngrams, _norm_words
        from .speech import learn_names

        learn_names([article.text])

        self._article_grams = _ngrams(_norm_words(article.text), 8)
        self._article_norm = re.sub(r"\s+", " ", article.text.replace("’", "'").replace("‘", "'")).lower()
        self._alignment = self._align_motions()
        self._motion_vecs = self.claim_index._center(embed([m.text for m in pack.motions]))
        self._motion_vecs /= np.linalg.norm(self._motion_vecs, axis=1, keepdims=True) + 1e-9
        self._motion_tokens = {
            m.id: (set(tokenize(m.text + " " + m.id.replace("-", " "))),
                   set(tokenize(" ".join(c.text for c in pack.claims_for(m.id)))))
            for m in pack.motions
        }

    def _align_motions(self) -> dict[str, dict[str, bool]]:
        """For each motion, the other motions whose sides line up with it, and whether they flip.

        Derived from the pack: claims of two motions that share evidence are on the same camp's
        side; a link joins opposite camps. Majority vote per pair of motions, then propagated.
        """
        votes: dict[tuple[str, str], list[bool]] = {}
        claims = self.pack.claims
        for i, a in enumerate(claims):
            for b in claims[i + 1:]:
                if a.motion != b.motion and any(_spans_overlap(x, y) for x in a.evidence for y in b.evidence):
                    votes.setdefault((a.motion, b.motion), []).append(a.side != b.side)
        for src, targets in self.pack.links.items():
            a = self.pack.claim(src)
            for t in targets:
                b = self.pack.claim(t)
                if a and b and a.motion != b.motion:
                    votes.setdefault((a.motion, b.motion), []).append(a.side == b.side)
        edges: dict[str, list[tuple[str, bool]]] = {}
        for (x, y), v in votes.items():
            flip = sum(v) * 2 > len(v)
            if sum(v) * 2 == len(v):
                continue  # a tie says nothing
            edges.setdefault(x, []).append((y, flip))
            edges.setdefault(y, []).append((x, flip))
        out: dict[str, dict[str, bool]] = {}
        for m in self.pack.motions:
            seen = {m.id: False}
            stack = [m.id]
            while stack:
                x = stack.pop()
                for y, flip in edges.get(x, []):
                    if y not in seen:
                        seen[y] = seen[x] ^ flip
                        stack.append(y)
            out[m.id] = seen
        return out

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_texts(cls, article_text: str, pack_yaml: str | None = None, *, fmt: str | None = None) -> Engine:
        key = ("texts", _digest(article_text), _digest(pack_yaml or ""), fmt)
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
        article = parse_article(article_text, fmt=fmt)
        if pack_yaml:
            pack = load_pack(pack_yaml, article)
        else:
            from .drafting import draft_pack

            pack = load_pack(draft_pack(article).model_dump(), article)  # fills offsets and paragraphs
        eng = cls(article, pack)
        with _CACHE_LOCK:
            _CACHE[key] = eng
        return eng

    # ------------------------------------------------------------------ motions
    def motions(self) -> list[Motion]:
        return list(self.pack.motions)

    def find_motion(self, ref: str | None) -> Motion | None:
        if not ref:
            return None
        ref = ref.strip()
        for m in self.pack.motions:
            if m.id == ref or m.id.lower() == ref.lower() or m.text.lower() == ref.lower():
                return m
        if ref.isdigit() and 1 <= int(ref) <= len(self.pack.motions):
            return self.pack.motions[int(ref) - 1]
        q = set(self._tokenize(ref)) - _MOTION_WORDS
        if not q:
            return None
        # words of the motion (and of its claims), closeness to the motion's text, and to its claims
        qv = self.claim_index.query_vec(ref)
        claim_scores = self.claim_index.scores(ref)
        per_claim: dict[str, float] = {}
        for c, sc in zip(self.claims, claim_scores, strict=True):
            per_claim[c.motion] = max(per_claim.get(c.motion, -1.0), float(sc))
        best, best_score = None, 0.0
        for m, mv in zip(self.pack.motions, self._motion_vecs, strict=True):
            own, claims = self._motion_tokens[m.id]
            tok = len(q & own) / len(q) + 0.25 * len(q & claims) / len(q)
            score = 0.5 * min(tok, 1.0) + 0.3 * float(mv @ qv) + 0.4 * per_claim.get(m.id, 0.0)
            if score > best_score:
                best, best_score = m, score
        return best if best_score >= 0.3 else None

    def infer_motion(self, argument: str) -> Motion:
        scores = self.claim_index.scores(argument)
        if len(scores) and scores.max() >= MATCH_FLOOR:
            return self.pack.motion(self.claims[int(scores.argmax())].motion)
        return self.pack.motions[0]

    def _resolve_motion(self, motion: str | None) -> Motion | None:
        """A pack motion for an id, words of a motion, or a custom motion's text; None if nothing fits.

        Lenient on purpose: a round may carry a motion text typed by a user. The CLI reports an
        unknown motion itself (find_motion)."""
        if not motion:
            return None
        return self.pack.motion(motion) or self.find_motion(motion)

    # ------------------------------------------------------------------ matching
    def match(self, argument: str, motion_id: str | None = None, side: str | None = None) -> list[tuple[Claim, float, float]]:
        """Claims ranked for `argument`: (claim, adjusted score, raw score).

        When the motion and the speaker's side are known, claims of that motion on the other side
        are pushed down (the user argues their own side), and claims of that motion get a small lift.
        """
        raw = self.argument_scores(argument)
        flips = self._alignment.get(motion_id, {}) if motion_id else {}
        out = []
        for c, r in zip(self.claims, raw, strict=True):
            adj = float(r)
            if motion_id and c.motion == motion_id:
                adj += 0.03
            if side and c.motion in flips:
                # the speaker's side carried over to an aligned motion ("pro diplomacy" = "con Warmbier")
                implied = side if not flips[c.motion] else ("con" if side == "pro" else "pro")
                if c.side != implied:
                    adj -= 0.15
            out.append((c, adj, float(r)))
        out.sort(key=lambda x: -x[1])
        return out

    def _implied_side(self, side: str, motion_id: str, claim: Claim) -> str | None:
        """The speaker's side carried over to `claim`'s motion (None when the motions don't align)."""
        flips = self._alignment.get(motion_id, {})
        if claim.motion not in flips:
            return None
        return side if not flips[claim.motion] else ("con" if side == "pro" else "pro")

    def argument_scores(self, argument: str) -> np.ndarray:
        """Per-claim scores of an argument: the best of the whole and of its sentences and clauses
        (a two-point argument should match each point as well as a one-point one)."""
        scores = self.claim_index.scores(argument)
        pieces = _pieces(argument)
        for p in pieces:
            scores = np.maximum(scores, 0.97 * self.claim_index.scores(p))
        return scores

    def rebut(self, argument: str, motion_id: str | None = None, side: str | None = None,
              exclude: Collection[str] = ()) -> Rebuttal | Decline:
        argument = (argument or "").strip()
        if not self._tokenize(argument):
            return Decline("There is no argument to answer yet: say what you claim, in a sentence or two.")
        motion = self._resolve_motion(motion_id)
        side = side.lower() if side else None
        if side not in (None, "pro", "con"):
            raise ValueError(f"side must be pro or con, not {side!r}")
        if motion is None and side:
            # a side without a motion: the side refers to the motion the argument is about
            motion = self.infer_motion(argument)
        ranked = self.match(argument, motion.id if motion else None, side)
        best_claim, best_adj, best_raw = ranked[0]
        top_raw = max(r for _, _, r in ranked)
        if top_raw < MATCH_FLOOR:
            return Decline(
                "Nothing in the article is relevant to that, so I won't invent a rebuttal. "
                "Argue about something the article covers (the motions are listed by `motions`).",
                score=calibrate(top_raw),
            )
        exclude = set(exclude)
        near = [(c, a, r) for c, a, r in ranked[:6] if a >= best_adj - NEAR_BEST and r >= MATCH_FLOOR]
        if not near:
            near = [max(ranked, key=lambda x: x[2])]
        raw_by_id = {c.id: r for c, _, r in ranked}
        top = near[0][0]
        if side and motion is not None and top.id not in exclude and self._implied_side(side, motion.id, top) not in (None, top.side):
            # even with the speaker's side pushed up, the best match is a claim of the bot's side: the
            # speaker is arguing against it, so the answer is that very claim, standing on its evidence
            user_side = self._implied_side(side, motion.id, top)
            disputed = [a for a in self.pack.answers(top.id) if a.side == user_side] or \
                       [c for c, _, _ in ranked if c.motion == top.motion and c.side == user_side]
            if disputed:
                return Rebuttal(motion=self.pack.motion(top.motion), matched_claim=disputed[0], claim=top, text=top.text,
                                evidence=list(top.evidence), score=calibrate(raw_by_id[top.id]), side=top.side)
        # the user's own point: evidence of every claim they plausibly made (no echo of it allowed)
        user_spans = [e for c, _, _ in near if c.side == near[0][0].side or c.motion != near[0][0].motion for e in c.evidence]

        best: tuple[float, Claim, Claim, list[Evidence]] | None = None
        for rank, (matched, adj, _raw) in enumerate(near):
            answers = self.pack.answers(matched.id)
            for li, counter in enumerate(answers):
                if counter.id in exclude:
                    continue
                ev = [e for e in counter.evidence if not any(_spans_overlap(e, u) for u in user_spans)]
                if not ev:
                    continue
                score = adj - 0.04 * li - 0.02 * rank + 0.1 * raw_by_id.get(counter.id, 0.0)
                if best is None or score > best[0]:
                    best = (score, matched, counter, ev)
        if best is None:
            # no linked answer left: the best other-side claim of the same motion that does not echo
            matched = near[0][0]
            pool = [c for c in self.pack.claims_for(matched.motion) if c.side != matched.side and c.id not in exclude]
            pool.sort(key=lambda c: -raw_by_id.get(c.id, 0.0))
            for counter in pool:
                ev = [e for e in counter.evidence if not any(_spans_overlap(e, u) for u in user_spans)]
                if ev:
                    best = (0.0, matched, counter, ev)
                    break
        if best is None:
            return Decline("I have already used every answer the article gives to that point in this round.",
                           score=calibrate(top_raw))
        _, matched, counter, ev = best
        the_motion = self.pack.motion(matched.motion)
        conf = calibrate(raw_by_id[matched.id])
        if not side:
            # stance unknown and the other side's claim on the same point matches almost as well: the
            # argument may be the negation of `matched` (similarity has no notion of "not") - say so
            rival = max((r for c, _, r in ranked if c.motion == matched.motion and c.side != matched.side), default=0.0)
            if rival >= raw_by_id[matched.id] - AMBIGUOUS:
                conf *= 0.7
        bot_side = counter.side if counter.motion == matched.motion else ("con" if matched.side == "pro" else "pro")
        return Rebuttal(motion=the_motion, matched_claim=matched, claim=counter, text=counter.text,
                        evidence=ev, score=conf, side=bot_side)

    # ------------------------------------------------------------------ speeches and scores
    def speech(self, motion_id: str, side: str, kind: str = "opening", seconds: int = 120,
               opponent_text: str = "", used: Collection[str] = ()) -> BotSpeech:
        from .speech import compose

        motion = self._resolve_motion(motion_id) or self.pack.motions[0]
        return compose(self, motion, side.lower(), kind, seconds, opponent_text, used)

    def score(self, text: str, motion_id: str | None, side: str, opponent_text: str = "", seconds: int = 120,
              scale: tuple[float, float] = (0, 100)) -> SpeechScore:
        from .scoring import score_speech

        motion = self._resolve_motion(motion_id) if motion_id else None
        if motion is None:
            motion = self.infer_motion(text) if text and text.strip() else self.pack.motions[0]
        return score_speech(self, text, motion, side.lower(), opponent_text, seconds, scale)


_CLAUSE = re.compile(r"\s*(?:[;:!?]|\.(?=\s)|,\s*(?:so|but|because|and|yet|which)\b|\s(?:because|so that|whereas)\b)\s*", re.I)


def _pieces(text: str) -> list[str]:
    """Sentences and clauses of an argument worth matching on their own (3+ content words)."""
    from .matcher import tokenize

    parts = [p.strip() for p in _CLAUSE.split(text) if p and p.strip()]
    if len(parts) <= 1:
        return []
    return [p for p in parts if len(tokenize(p)) >= 3][:6]


# words every motion shares ("This house believes...") say nothing about which motion is meant
_MOTION_WORDS = {"hous", "believ", "support", "prefer", "motion", "would", "regret", "oppos", "th", "thbt", "thw"}

# ---------------------------------------------------------------------- cache

_CACHE: dict[tuple, Engine] = {}
_CACHE_LOCK = threading.RLock()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def get_engine(article_path: str | Path | None = None, pack_path: str | Path | None = None) -> Engine:
    """An Engine for an article and pack on disk, cached by path and content hash.

    Defaults to the seed article and pack. With an article but no pack, a pack `<stem>.yaml` in
    prompts/packs is used if it exists, else a draft pack is built offline.
    """
    from bot.config import DEFAULT_ARTICLE, DEFAULT_PACK, PROMPTS_DIR

    apath = Path(article_path) if article_path else DEFAULT_ARTICLE
    if pack_path:
        ppath: Path | None = Path(pack_path)
    elif article_path is None or apath.resolve() == DEFAULT_ARTICLE.resolve():
        ppath = DEFAULT_PACK
    else:
        guess = PROMPTS_DIR / "packs" / f"{apath.stem}.yaml"
        ppath = guess if guess.is_file() else None
    atext = apath.read_text(encoding="utf-8")
    ptext = ppath.read_text(encoding="utf-8") if ppath else ""
    key = (str(apath.resolve()), _digest(atext), str(ppath.resolve()) if ppath else None, _digest(ptext))
    with _CACHE_LOCK:
        eng = _CACHE.get(key)
        if eng is not None:
            return eng
        article = load_article(apath)
        if ppath:
            pack = load_pack(ptext, article)
        else:
            from .drafting import draft_pack

            pack = load_pack(draft_pack(article).model_dump(), article)  # fills offsets and paragraphs
        eng = Engine(article, pack)
        _CACHE[key] = eng
        return eng

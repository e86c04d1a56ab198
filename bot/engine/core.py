"""The Engine: one article + one pack, indexed for matching, rebuttal, speeches and scoring."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np

from .article import Article, load_article, parse_article
from .brief import Brief, make_brief
from .clash import Clash, weigh_clash
from .gate import Topicality, topicality
from .index import MATCH_FLOOR, MATCH_SPREAD, ArticleIndex, calibrate  # noqa: F401  (re-exported)
from .listening import Hearing, listen
from .matcher import tokenize
from .pack import Claim, Motion, Pack, load_pack
from .rebuttal import rebut
from .results import BotSpeech, Decline, Rebuttal, SpeechScore
from .speech import compose


class Engine:
    """One article and its pack: motions, listening, rebuttals, the bot's speeches and the judge."""

    def __init__(self, article: Article, pack: Pack) -> None:
        self.index = ArticleIndex(article, pack)
        self.article = article
        self.pack = pack
        self.claim_index = self.index.claim_index
        self.claims = self.index.claims
        self.sentence_index = self.index.sentence_index
        self._tokenize = tokenize
        self._motion_tokens = {
            m.id: (set(tokenize(m.text + " " + m.id.replace("-", " "))),
                   set(tokenize(" ".join(c.text for c in pack.claims_for(m.id)))))
            for m in pack.motions
        }

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
        for m, mv in zip(self.pack.motions, self.index.motion_vecs, strict=True):
            own, claims = self._motion_tokens[m.id]
            tok = len(q & own) / len(q) + 0.25 * len(q & claims) / len(q)
            score = 0.5 * min(tok, 1.0) + 0.3 * float(mv @ qv) + 0.4 * per_claim.get(m.id, 0.0)
            if score > best_score:
                best, best_score = m, score
        return best if best_score >= 0.3 else None

    def infer_motion(self, argument: str) -> Motion:
        """The motion an argument is about (see ArticleIndex.infer_motion)."""
        return self.index.infer_motion(argument)

    def _resolve_motion(self, motion: str | None) -> Motion | None:
        """A pack motion for an id, words of a motion, or a custom motion's text; None if nothing fits.

        Lenient on purpose: a round may carry a motion text typed by a user. The CLI reports an
        unknown motion itself (find_motion)."""
        if not motion:
            return None
        return self.pack.motion(motion) or self.find_motion(motion)

    # ------------------------------------------------------------------ listening and answering
    def match(self, argument: str, motion_id: str | None = None, side: str | None = None) -> list[tuple[Claim, float, float]]:
        """Claims ranked for `argument`: (claim, adjusted score, raw score).

        When the motion and the speaker's side are known, claims of that motion on the other side
        are pushed down (the user argues their own side), and claims of that motion get a small lift.
        """
        raw = self.argument_scores(argument)
        out = []
        for c, r in zip(self.claims, raw, strict=True):
            adj = float(r)
            if motion_id and c.motion == motion_id:
                adj += 0.03
            if side and motion_id:
                implied = self.index.implied_side(side, motion_id, c)
                if implied is not None and c.side != implied:
                    adj -= 0.15
            out.append((c, adj, float(r)))
        out.sort(key=lambda x: -x[1])
        return out

    def argument_scores(self, argument: str) -> np.ndarray:
        """Per-claim scores of an argument: the best of the whole and of its sentences and clauses."""
        scores = self.claim_index.scores(argument)
        for p in _pieces(argument):
            scores = np.maximum(scores, 0.97 * self.claim_index.scores(p))
        return scores

    def listen(self, text: str, motion_id: str | None = None, side: str | None = None,
               candidates: list[str] | None = None) -> Hearing:
        """The points a speech makes, with spans and kinds (see listening.py)."""
        motion = self._resolve_motion(motion_id)
        return listen(self.index, text, motion.id if motion else None, _check_side(side), candidates)

    def topicality(self, text: str, motion_id: str | None = None) -> Topicality:
        """Whether a text is about the article's debate (see gate.py)."""
        motion = self._resolve_motion(motion_id)
        return topicality(self.index, text, motion.text if motion else None)

    def rebut(self, argument: str, motion_id: str | None = None, side: str | None = None,
              exclude: Collection[str] = ()) -> Rebuttal | Decline:
        """Answer the heaviest point of an argument, quoting it, from the other side (see rebuttal.py)."""
        side = _check_side(side)
        motion = self._resolve_motion(motion_id)
        return rebut(self.index, argument, motion, side, exclude)

    def clash(self, motion_id: str | None, speeches: Sequence[tuple[str, str]],
              names: Mapping[str, str] | None = None) -> Clash:
        """Weigh a round's clash from its speeches in order, each (pro|con, text) (see clash.py)."""
        motion = self._resolve_motion(motion_id)
        return weigh_clash(self.index, motion.id if motion else None, speeches, names)

    def brief(self, motion_id: str | None, side: str) -> Brief:
        """A prep brief for a debater: the motion, their three strongest points, the two likeliest replies."""
        motion = self._resolve_motion(motion_id) or self.pack.motions[0]
        return make_brief(self.index, motion, _check_side(side) or "pro")

    # ------------------------------------------------------------------ speeches and scores
    def speech(self, motion_id: str, side: str, kind: str = "opening", seconds: int = 120,
               opponent_text: str = "", used: Collection[str] = ()) -> BotSpeech:
        motion = self._resolve_motion(motion_id) or self.pack.motions[0]
        return compose(self.index, motion, side.lower(), kind, seconds, opponent_text, used)

    def score(self, text: str, motion_id: str | None, side: str, opponent_text: str = "", seconds: int = 120,
              scale: tuple[float, float] = (0, 100)) -> SpeechScore:
        """The automatic judge's score of a speech (see scoring.py)."""
        from .scoring import score_speech

        motion = self._resolve_motion(motion_id) if motion_id else None
        if motion is None:
            motion = self.infer_motion(text) if text and text.strip() else self.pack.motions[0]
        return score_speech(self.index, text, motion, side.lower(), opponent_text, seconds, scale)


def _check_side(side: str | None) -> str | None:
    side = side.lower() if side else None
    if side not in (None, "pro", "con"):
        raise ValueError(f"side must be pro or con, not {side!r}")
    return side


_CLAUSE = re.compile(r"\s*(?:[;:!?]|\.(?=\s)|,\s*(?:so|but|because|and|yet|which)\b|\s(?:because|so that|whereas)\b)\s*", re.I)


def _pieces(text: str) -> list[str]:
    """Sentences and clauses of an argument worth matching on their own (3+ content words)."""
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

"""Result types returned by the engine; each has `.to_dict()` giving the JSON shape of issue 3."""

from __future__ import annotations

from dataclasses import dataclass, field

from .pack import Claim, Evidence, Motion


@dataclass
class Rebuttal:
    """The bot's answer to one point: the opponent's words, a counter-claim and its verbatim evidence."""

    motion: Motion
    matched_claim: Claim | None  # the pack claim the point made or attacked (None for a point the pack lacks)
    claim: Claim  # the counter-claim the bot argues
    text: str  # the counter-claim in the bot's words
    evidence: list[Evidence]
    score: float  # 0..1: how sure we are about what the point was
    side: str = ""  # the bot's side on `motion`
    opponent_quote: str = ""  # the opponent's point, word for word from their text
    source: str = "article"  # "article", or "general" (GPR-KB-55, not from the article)
    point_kind: str = ""  # own | attack | new: what listening heard

    def to_dict(self) -> dict:
        """The JSON shape of `engine rebut`."""
        out = {
            "motion": self.motion.id,
            "motion_text": self.motion.text,
            "opponent_quote": self.opponent_quote,
            "matched_claim": self.matched_claim.text if self.matched_claim else None,
            "matched_claim_id": self.matched_claim.id if self.matched_claim else None,
            "rebuttal": self.text,
            "claim_id": self.claim.id,
            "side": self.side,
            "holder": self.claim.holder,
            "evidence": [e.to_dict() for e in self.evidence],
            "score": round(float(self.score), 3),
            "source": self.source,
        }
        return out

    def render(self) -> str:
        """The answer as one message: their words, our counter-claim, the article's words."""
        said = f"You said: “{self.opponent_quote.rstrip('.')}”. " if self.opponent_quote else ""
        if self.source == "general":
            return f"{said}My answer: {self.text} (A general answer, not from the article.)"
        quotes = " ".join(f"“{e.quote}” (paragraph {e.paragraph})" for e in self.evidence)
        if self.evidence and len(self.evidence) == 1 and self.evidence[0].quote.strip() == self.text.strip():
            return f"{said}But the article says: {quotes}"
        return f"{said}My answer: {self.text} The article: {quotes}"


@dataclass
class Decline:
    reason: str
    score: float = 0.0

    def to_dict(self) -> dict:
        return {"rebuttal": None, "reason": self.reason, "score": round(float(self.score), 3)}

    def render(self) -> str:
        return self.reason


@dataclass
class BotSpeech:
    """A speech the bot gives: its text, the claims it used and the opponent's points it answered."""

    text: str
    claim_ids: list[str]
    evidence: list[Evidence]
    kind: str = "opening"
    side: str = "pro"
    motion: str = ""
    words: int = 0
    answers: list[Rebuttal] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape of `engine speech`."""
        return {
            "text": self.text, "claim_ids": list(self.claim_ids), "kind": self.kind, "side": self.side,
            "motion": self.motion, "words": self.words, "evidence": [e.to_dict() for e in self.evidence],
            "answers": [{"opponent_quote": a.opponent_quote, "claim_id": a.claim.id, "rebuttal": a.text,
                         "source": a.source, "evidence": [e.to_dict() for e in a.evidence]} for a in self.answers],
        }


@dataclass
class Criterion:
    score: float  # 0..1
    reason: str

    def to_dict(self) -> dict:
        return {"score": round(float(self.score), 3), "reason": self.reason}


@dataclass
class SpeechScore:
    total: float
    scale: tuple[float, float]
    criteria: dict[str, Criterion]
    tips: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # e.g. empty, spam, off-topic, copy-paste

    def to_dict(self) -> dict:
        return {
            "total": round(float(self.total), 1),
            "scale": [self.scale[0], self.scale[1]],
            "criteria": {k: v.to_dict() for k, v in self.criteria.items()},
            "tips": list(self.tips),
            "flags": list(self.flags),
        }

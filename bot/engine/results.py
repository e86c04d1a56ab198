"""Result types returned by the engine; each has `.to_dict()` giving the JSON shape of issue 3."""

from __future__ import annotations

from dataclasses import dataclass, field

from .pack import Claim, Evidence, Motion


@dataclass
class Rebuttal:
    motion: Motion
    matched_claim: Claim
    claim: Claim  # the counter-claim the bot argues
    text: str  # the counter-claim in the bot's words
    evidence: list[Evidence]
    score: float  # calibrated 0..1: how confident we are that the argument is about matched_claim
    side: str = ""  # the bot's side on `motion`

    def to_dict(self) -> dict:
        return {
            "motion": self.motion.id,
            "motion_text": self.motion.text,
            "matched_claim": self.matched_claim.text,
            "matched_claim_id": self.matched_claim.id,
            "rebuttal": self.text,
            "claim_id": self.claim.id,
            "side": self.side,
            "holder": self.claim.holder,
            "evidence": [e.to_dict() for e in self.evidence],
            "score": round(float(self.score), 3),
        }

    def render(self) -> str:
        quotes = " ".join(f"“{e.quote}” (paragraph {e.paragraph})" for e in self.evidence)
        return f"{self.text} The article: {quotes}"


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
    text: str
    claim_ids: list[str]
    evidence: list[Evidence]
    kind: str = "opening"
    side: str = "pro"
    motion: str = ""
    words: int = 0

    def to_dict(self) -> dict:
        return {
            "text": self.text, "claim_ids": list(self.claim_ids), "kind": self.kind, "side": self.side,
            "motion": self.motion, "words": self.words, "evidence": [e.to_dict() for e in self.evidence],
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

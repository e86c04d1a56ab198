"""The prep brief a debater sees when a practice round starts: motion, best points, likely replies."""

from __future__ import annotations

from dataclasses import dataclass

from .index import ArticleIndex, key_quote, other_side
from .pack import Claim, Motion


@dataclass(frozen=True)
class BriefPoint:
    """One point of the brief, with the quote that backs it."""

    claim_id: str
    text: str
    quote: str
    paragraph: int | None


@dataclass(frozen=True)
class Brief:
    """A short case brief for one side of one motion."""

    motion: Motion
    side: str
    own: list[BriefPoint]
    likely: list[BriefPoint]

    def to_dict(self) -> dict:
        """The brief as JSON."""
        def pt(p: BriefPoint) -> dict:
            return {"claim_id": p.claim_id, "text": p.text, "quote": p.quote, "paragraph": p.paragraph}

        return {"motion": self.motion.to_dict(), "side": self.side, "own": [pt(p) for p in self.own],
                "likely": [pt(p) for p in self.likely]}

    def render(self) -> str:
        """The brief as a chat message."""
        stance = "for" if self.side == "pro" else "against"
        lines = [f"**Your brief** — you argue {stance}: {self.motion.text}", "", "Your strongest points:"]
        for i, p in enumerate(self.own, 1):
            where = f" (paragraph {p.paragraph})" if p.paragraph is not None else ""
            quote = f"“{p.quote}”" if p.quote else "a general argument, not from the article"
            lines.append(f"{i}. {p.text} — {quote}{where}")
        if self.likely:
            lines += ["", "The other side will probably say:"]
            for p in self.likely:
                lines.append(f"• {p.text}")
        return "\n".join(lines)


def make_brief(index: ArticleIndex, motion: Motion, side: str) -> Brief:
    """The brief for `side` of `motion`: three strongest own points and two likeliest opposing ones."""
    def points(claims: list[Claim], n: int) -> list[BriefPoint]:
        ranked = sorted(enumerate(claims), key=lambda ic: (-index.strength(ic[1]), ic[0]))
        out = []
        for _, c in ranked[:n]:
            ev = key_quote(c)
            out.append(BriefPoint(c.id, c.text, ev.quote if ev else "", ev.paragraph if ev else None))
        return out

    own = points([c for c in index.pack.claims_for(motion.id, side) if not c.reply_only], 3)
    likely = points([c for c in index.pack.claims_for(motion.id, other_side(side)) if not c.reply_only], 2)
    return Brief(motion, side, own, likely)

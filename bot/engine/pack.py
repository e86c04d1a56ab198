"""The debate pack: motions, claims with verbatim evidence, and rebuttal links (YAML + pydantic)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .article import Article

Side = Literal["pro", "con"]


class PackError(ValueError):
    """A pack that cannot be used; the message says what is wrong and where."""


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quote: str = Field(min_length=1)
    start: int | None = None
    end: int | None = None
    paragraph: int | None = None

    def to_dict(self) -> dict:
        return {"quote": self.quote, "paragraph": self.paragraph}


class Motion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    kind: str = "policy"
    # the side the article gives (almost) nothing to, when it does: its claims are drawn from concessions,
    # reported critics and counter-evidence, else from general-purpose claims marked `source: general`
    one_sided: Side | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "kind": self.kind,
                **({"one_sided": self.one_sided} if self.one_sided else {})}


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    motion: str
    side: Side
    text: str = Field(min_length=1)
    holder: str = "author"
    # "article": stands on verbatim evidence; "general": a general-purpose argument (IBM GPR-KB-55)
    # instantiated for the motion, not from the article, with no evidence
    source: Literal["article", "general"] = "article"
    evidence: list[Evidence] = Field(default_factory=list)
    # other ways a debater might put this claim (used only for matching, never shown as evidence)
    phrasings: list[str] = Field(default_factory=list)
    confidence: float | None = None
    # "topic:position": two claims with the same topic and different positions contradict each other,
    # so one speaker never asserts both (e.g. "hanoi-outcome:failure" and "hanoi-outcome:success")
    group: str | None = None
    # worded as a reply to a particular claim ("It is not one saboteur…"): used only to answer the claims
    # it is linked from, never as a point of its own
    reply_only: bool = False

    @field_validator("side", mode="before")
    @classmethod
    def _lower(cls, v):
        return v.lower() if isinstance(v, str) else v

    @property
    def paragraphs(self) -> list[int]:
        return [e.paragraph for e in self.evidence if e.paragraph is not None]

    @property
    def general(self) -> bool:
        """True for a general-purpose claim (not from the article, no evidence)."""
        return self.source == "general"

    def to_dict(self) -> dict:
        return {
            "id": self.id, "motion": self.motion, "side": self.side, "text": self.text,
            "holder": self.holder, "evidence": [e.to_dict() for e in self.evidence],
            **({"source": self.source} if self.general else {}),
        }


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    article: str | None = None
    draft: bool = False
    confidence: float | None = None
    notes: str | None = None
    motions: list[Motion] = Field(min_length=1)
    claims: list[Claim] = Field(min_length=1)
    # claim id -> ids of the claims that answer it
    links: dict[str, list[str]] = Field(default_factory=dict)

    def motion(self, motion_id: str) -> Motion | None:
        return next((m for m in self.motions if m.id == motion_id), None)

    def claim(self, claim_id: str) -> Claim | None:
        return self._by_id().get(claim_id)

    def _by_id(self) -> dict[str, Claim]:
        cache = self.__dict__.get("_claims_by_id")
        if cache is None or len(cache) != len(self.claims):
            cache = {c.id: c for c in self.claims}
            self.__dict__["_claims_by_id"] = cache
        return cache

    def claims_for(self, motion_id: str | None = None, side: str | None = None) -> list[Claim]:
        return [c for c in self.claims if (motion_id is None or c.motion == motion_id) and (side is None or c.side == side)]

    def answers(self, claim_id: str) -> list[Claim]:
        by_id = self._by_id()
        return [by_id[i] for i in self.links.get(claim_id, []) if i in by_id]

    def to_yaml(self) -> str:
        data = self.model_dump(exclude_none=True, exclude_defaults=False)
        for c in data["claims"]:
            if not c.get("phrasings"):
                c.pop("phrasings", None)
            if c.get("source") == "article":
                c.pop("source", None)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _hint_for(quote: str, article: Article) -> str:
    """Help the pack author: point at a near miss (quote style, whitespace, case)."""
    import re

    def norm(s: str) -> str:
        s = s.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'").replace("—", "-")
        return re.sub(r"\s+", " ", s).strip().lower()

    nq = norm(quote)
    for sent in article.sentences:
        if nq and nq in norm(sent.text):
            return f" (a near match with different quote marks, dashes, spacing or case is in paragraph {sent.paragraph}: {sent.text[:80]!r})"
    return ""


def _parse(source: str | Path | dict) -> dict:
    if isinstance(source, dict):
        return source
    if isinstance(source, Path) or ("\n" not in str(source) and str(source).endswith((".yaml", ".yml"))):
        path = Path(source)
        if not path.is_file():
            raise PackError(f"pack file not found: {path}")
        text = path.read_text(encoding="utf-8")
    else:
        text = str(source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PackError(f"pack is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PackError("pack must be a YAML mapping with motions, claims and links")
    return data


def load_pack(source: str | Path | dict, article: Article) -> Pack:
    """Parse and validate a pack against its article; fill in offsets and paragraph numbers.

    Raises PackError for: schema errors, duplicate ids, claims of unknown motions, evidence not
    verbatim in the article (or offsets that disagree with it), dangling or same-side links, and
    motions without claims on both sides.
    """
    data = _parse(source)
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors()[:8]:
            loc = ".".join(str(x) for x in err["loc"])
            lines.append(f"  {loc}: {err['msg']}")
        raise PackError("pack does not match the schema:\n" + "\n".join(lines)) from exc

    problems: list[str] = []
    motion_ids = [m.id for m in pack.motions]
    if len(set(motion_ids)) != len(motion_ids):
        problems.append("duplicate motion ids: " + ", ".join(sorted({m for m in motion_ids if motion_ids.count(m) > 1})))
    claim_ids = [c.id for c in pack.claims]
    if len(set(claim_ids)) != len(claim_ids):
        problems.append("duplicate claim ids: " + ", ".join(sorted({c for c in claim_ids if claim_ids.count(c) > 1})))
    by_id = {c.id: c for c in pack.claims}

    for c in pack.claims:
        if c.motion not in motion_ids:
            problems.append(f"claim {c.id}: unknown motion {c.motion!r}")
        if c.general and c.evidence:
            problems.append(f"claim {c.id}: a general-purpose claim (source: general) has no evidence from the article")
        if not c.general and not c.evidence:
            problems.append(f"claim {c.id}: no evidence (a claim from the article needs a verbatim quote; "
                            "mark a general-purpose argument `source: general`)")
        for i, ev in enumerate(c.evidence):
            span = None
            if ev.start is not None and ev.end is not None and article.text[ev.start:ev.end] == ev.quote:
                span = (ev.start, ev.end)
            elif ev.start is not None or ev.end is not None:
                found = article.find(ev.quote)
                if found is None:
                    problems.append(f"claim {c.id} evidence {i}: quote not found verbatim in the article: {ev.quote[:90]!r}{_hint_for(ev.quote, article)}")
                    continue
                problems.append(f"claim {c.id} evidence {i}: offsets {ev.start}-{ev.end} do not match the quote (it is at {found[0]}-{found[1]})")
                continue
            else:
                span = article.find(ev.quote)
            if span is None:
                problems.append(f"claim {c.id} evidence {i}: quote not found verbatim in the article: {ev.quote[:90]!r}{_hint_for(ev.quote, article)}")
                continue
            para = article.paragraph_at(span[0])
            if ev.paragraph is not None and ev.paragraph != para:
                problems.append(f"claim {c.id} evidence {i}: says paragraph {ev.paragraph} but the quote is in paragraph {para}")
                continue
            ev.start, ev.end, ev.paragraph = span[0], span[1], para

    for src, targets in pack.links.items():
        if src not in by_id:
            problems.append(f"link from unknown claim {src!r}")
            continue
        for t in targets:
            if t not in by_id:
                problems.append(f"link {src} -> {t}: unknown claim {t!r}")
            elif by_id[t].side == by_id[src].side and by_id[t].motion == by_id[src].motion:
                problems.append(f"link {src} -> {t}: an answer must come from the other side of the motion")

    for m in pack.motions:
        sides = {c.side for c in pack.claims if c.motion == m.id}
        missing = {"pro", "con"} - sides
        if missing:
            problems.append(f"motion {m.id}: no {' or '.join(sorted(missing))} claims (a motion needs both sides)")

    if problems:
        raise PackError(f"invalid pack ({len(problems)} problem{'s' if len(problems) > 1 else ''}):\n  " + "\n  ".join(problems))
    return pack


class PackQuality(BaseModel):
    """What `pack validate` reports beyond verbatim quotes: claims per side, one-sided motions, general share."""

    problems: list[str] = Field(default_factory=list)
    per_motion: dict[str, dict[str, int]] = Field(default_factory=dict)
    one_sided: dict[str, str] = Field(default_factory=dict)
    general_share: float = 0.0

    def summary(self) -> str:
        """One line per motion and the totals, for people."""
        lines = []
        for mid, n in self.per_motion.items():
            lines.append(f"{mid}: {n.get('pro', 0)} pro / {n.get('con', 0)} con"
                         + (f", {n.get('general', 0)} general" if n.get("general") else "")
                         + (f", one-sided (little for {self.one_sided[mid]})" if mid in self.one_sided else ""))
        lines.append(f"one-sided motions: {len(self.one_sided)} of {len(self.per_motion)}; "
                     f"general-purpose claims: {self.general_share:.0%}")
        return "\n".join(lines)


def pack_quality(pack: Pack) -> PackQuality:
    """Sense checks on a loaded pack: no fragments, truncated claims or (drafts) dangling pronouns; 2+ claims a side."""
    from .claims import sentence_problem
    from .motions import motion_problem

    q = PackQuality()
    for m in pack.motions:
        why = motion_problem(m.text) if pack.draft else None
        if why:
            q.problems.append(f"motion {m.id}: {why}: {m.text!r}")
        counts = {s: len(pack.claims_for(m.id, s)) for s in ("pro", "con")}
        counts["general"] = sum(c.general for c in pack.claims_for(m.id))
        q.per_motion[m.id] = counts
        for side in ("pro", "con"):
            if counts[side] == 1:
                q.problems.append(f"motion {m.id}: only one {side} claim (a side needs at least two)")
        if m.one_sided:
            q.one_sided[m.id] = m.one_sided
    for c in pack.claims:
        if c.general:
            continue
        # a reviewed pack's hand-written claim may open "This is…"; a drafted one may not
        why = sentence_problem(c.text, pronouns=pack.draft)
        if why:
            q.problems.append(f"claim {c.id}: {why}: {c.text[:80]!r}")
    q.general_share = round(sum(c.general for c in pack.claims) / max(1, len(pack.claims)), 3)
    return q

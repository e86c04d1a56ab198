"""The article and pack, indexed once: what listening, the gate, rebuttals, speeches and the judge read.

`ArticleIndex` holds only public, read-only state, so the engine's parts share it without reaching
into each other's private names. It imports no other engine module above it (no cycles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .article import Article, Sentence
from .matcher import STOPWORDS, HybridIndex, embed, encoder_available, tokenize
from .pack import Claim, Evidence, Motion, Pack

# The hybrid of centred WordLlama cosine and normalised BM25, blended half and half with the cosine of
# the fine-tuned MiniLM encoder (the ArgKP benchmark's encoder). MATCH_FLOOR sits at the 97th
# percentile of the best claim score of 1,000 ArgKP train arguments (unrelated topics) against the seed
# pack (benchmarks/RESULTS.md, Engine); a claim scoring below it is not what the speaker said.
ENCODER_WEIGHT = 0.5 if encoder_available() else 0.0
MATCH_FLOOR = 0.39 if ENCODER_WEIGHT else 0.34
DENSE_GATE = 0.3
MATCH_SPREAD = 0.06

_WORD = re.compile(r"[A-Za-z0-9’']+")


def calibrate(raw: float) -> float:
    """A claim-match score mapped to 0..1 by a logistic around the match floor."""
    import math

    return 1.0 / (1.0 + math.exp(-(raw - MATCH_FLOOR) / MATCH_SPREAD))


def norm_words(text: str) -> list[str]:
    """Lower-cased words with curly apostrophes straightened (for n-gram comparisons)."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    """All n-word runs of `words`."""
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def normalise_quote(text: str) -> str:
    """Text folded for verbatim checks: straight quotes, single spaces, lower case."""
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("‘", "'")).strip().lower()


def spans_overlap(a: Evidence, b: Evidence) -> bool:
    """True when two pieces of evidence share article characters."""
    return a.start is not None and b.start is not None and a.start < b.end and b.start < a.end


def learn_names(text: str) -> frozenset[str]:
    """Words written capitalised in mid-sentence: names, which keep their capital."""
    names: set[str] = set()
    for line in text.splitlines():
        words = line.split()
        if words and sum(w[:1].isupper() for w in words) / len(words) > 0.6:
            continue  # a Title Case heading says nothing about which words are names
        for m in re.finditer(r"(?<=[a-z,;:] )([A-Z][a-zA-Z-]+)", line):
            names.add(m.group(1))
    return frozenset(names)


def lc_first(text: str, names: frozenset[str] = frozenset()) -> str:
    """Lower-case the first letter unless the first word is a name (Kim, American, Trump's...)."""
    if not text:
        return text
    first = text.split(" ", 1)[0].strip(",.;:'’")
    if len(first) > 1 and (first[1].isupper() or first[1] == "."):  # U.S., NATO, UN-backed
        return text
    if first.lower() in STOPWORDS:
        return text[0].lower() + text[1:]
    if first in names or (first.endswith(("’s", "'s")) and first[:-2] in names) or first.isupper() or first == "I":
        return text
    return text[0].lower() + text[1:]


@dataclass
class ArticleIndex:
    """One article and its pack with every index the engine's parts need, built once."""

    article: Article
    pack: Pack
    claim_index: HybridIndex = field(init=False)
    claims: list[Claim] = field(init=False)
    body: list[Sentence] = field(init=False)
    sentence_index: HybridIndex = field(init=False)
    sentence_vecs: np.ndarray = field(init=False)  # fine-tuned encoder vectors of `body` (or WordLlama's)
    motion_vecs: np.ndarray = field(init=False)  # centred WordLlama vectors of the motions
    article_grams: set[tuple[str, ...]] = field(init=False)
    article_norm: str = field(init=False)
    names: frozenset[str] = field(init=False)
    alignment: dict[str, dict[str, bool]] = field(init=False)

    def __post_init__(self) -> None:
        pack, article = self.pack, self.article
        keys: list[str] = []
        texts: list[str] = []
        for c in pack.claims:
            for t in [c.text, *c.phrasings, *(e.quote for e in c.evidence)]:
                keys.append(c.id)
                texts.append(t)
        self.body = [s for s in article.sentences if not article.is_heading(s.paragraph)]
        background = [s.text for s in self.body] or texts
        self.claim_index = HybridIndex(keys, texts, background=background, dense_gate=DENSE_GATE,
                                       encoder_weight=ENCODER_WEIGHT)
        self.claims = [pack.claim(k) for k in self.claim_index.uniq]
        self.sentence_index = HybridIndex([str(s.index) for s in self.body], [s.text for s in self.body],
                                          background=background, dense_gate=DENSE_GATE, encoder_weight=ENCODER_WEIGHT)
        self.sentence_vecs = (self.sentence_index.ft_vecs if self.sentence_index.ft_vecs is not None
                              else self.sentence_index.vecs)
        self.names = learn_names(article.text)
        self.article_grams = ngrams(norm_words(article.text), 8)
        self.article_norm = normalise_quote(article.text)
        self.alignment = _align_motions(pack)
        mv = self.claim_index.center_vecs(embed([m.text for m in pack.motions]))
        self.motion_vecs = mv / (np.linalg.norm(mv, axis=1, keepdims=True) + 1e-9)

    def motion(self, motion_id: str) -> Motion | None:
        """The pack's motion with this id."""
        return self.pack.motion(motion_id)

    def in_article(self, quote: str) -> bool:
        """True when `quote` (8+ characters) stands word for word in the article."""
        q = normalise_quote(quote).rstrip(".,;")
        return len(q) >= 8 and q in self.article_norm

    def implied_side(self, side: str, motion_id: str, claim: Claim) -> str | None:
        """The speaker's side carried over to `claim`'s motion (None when the motions don't align)."""
        flips = self.alignment.get(motion_id, {})
        if claim.motion not in flips:
            return None
        return side if not flips[claim.motion] else other_side(side)

    def side_on(self, claim: Claim, motion_id: str) -> str | None:
        """The side of `motion_id` that a claim (perhaps of a neighbouring motion) argues."""
        return self.implied_side(claim.side, motion_id, claim)

    def strength(self, claim: Claim) -> float:
        """How strong a claim is to argue: its evidence, and how many of the other side's claims it answers."""
        answers = sum(claim.id in self.pack.links.get(c.id, []) for c in self.pack.claims_for(claim.motion))
        return len(claim.evidence) + 0.5 * answers + (claim.confidence or 0.0)

    def infer_motion(self, text: str) -> Motion:
        """The motion whose claims the text is closest to (the first motion if none is close)."""
        scores = self.claim_index.scores(text)
        if len(scores) and scores.max() >= MATCH_FLOOR:
            m = self.pack.motion(self.claims[int(scores.argmax())].motion)
            if m is not None:
                return m
        return self.pack.motions[0]

    def content_tokens(self, text: str) -> list[str]:
        """Stemmed content words of a text."""
        return tokenize(text)

    def speaker(self, evidence: Evidence, holder: str | None) -> str | None:
        """Who says `evidence` in the article: `holder` only when the article quotes that person, else None."""
        return quoted_speaker(self.article, evidence, holder)


def quoted_speaker(article: Article, evidence: Evidence, holder: str | None) -> str | None:
    """Who says `evidence` in `article`: `holder` only when the article quotes that person, else None.

    The article quotes a person when the quote sits inside quotation marks in a sentence that
    names them (or in a passage that a sentence naming them introduces with a colon), or is a
    block quotation introduced that way. A sentence that merely reports what they did (“Trump
    blamed the North Koreans…”) is the author's."""
    if not holder or holder.lower() in ("author", "the author", "article", "general") or evidence.start is None:
        return None
    surname = holder.split()[-1]
    text = article.text
    para = article.paragraphs[article.paragraph_at(evidence.start)]
    names = re.compile(rf"\b{re.escape(surname)}\b")
    before = text[para.start:evidence.start]
    after = text[evidence.end:para.end]
    opened = before.count("“") > before.count("”") or before.count('"') % 2 == 1
    closed = "”" in after or '"' in after
    if opened and closed and names.search(para.text):
        return holder
    prev = article.paragraphs[para.index - 1] if para.index > 0 else None
    if prev is not None and prev.text.rstrip().endswith(":") and names.search(prev.text) \
            and not names.search(para.text[:40]):
        return holder  # a block quotation: "Trump tweeted:" / "Jackson Diehl writes:"
    return None


def key_quote(claim: Claim) -> Evidence | None:
    """The quote to read out for a claim: the pack's first of 5–45 words, else its shortest (None for a
    general-purpose claim, which has nothing from the article)."""
    if not claim.evidence:
        return None
    usable = [e for e in claim.evidence if 5 <= len(e.quote.split()) <= 45]
    return usable[0] if usable else min(claim.evidence, key=lambda e: len(e.quote.split()))


def other_side(side: str) -> str:
    """pro <-> con."""
    return "con" if side == "pro" else "pro"


def _align_motions(pack: Pack) -> dict[str, dict[str, bool]]:
    """For each motion, the other motions whose sides line up with it, and whether they flip.

    Claims of two motions that share evidence are on the same camp's side; a link joins opposite
    camps. Majority vote per pair of motions, then propagated.
    """
    votes: dict[tuple[str, str], list[bool]] = {}
    claims = pack.claims
    for i, a in enumerate(claims):
        for b in claims[i + 1:]:
            if a.motion != b.motion and any(spans_overlap(x, y) for x in a.evidence for y in b.evidence):
                votes.setdefault((a.motion, b.motion), []).append(a.side != b.side)
    for src, targets in pack.links.items():
        a = pack.claim(src)
        for t in targets:
            b = pack.claim(t)
            if a and b and a.motion != b.motion:
                votes.setdefault((a.motion, b.motion), []).append(a.side == b.side)
    edges: dict[str, list[tuple[str, bool]]] = {}
    for (x, y), v in votes.items():
        if sum(v) * 2 == len(v):
            continue  # a tie says nothing
        flip = sum(v) * 2 > len(v)
        edges.setdefault(x, []).append((y, flip))
        edges.setdefault(y, []).append((x, flip))
    out: dict[str, dict[str, bool]] = {}
    for m in pack.motions:
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

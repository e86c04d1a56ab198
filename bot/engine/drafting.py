"""Offline pack drafting for any article (no language model): claim detector, stance model, GPR-KB-55.

1. Motions: given (`motions=[...]`), or drafted from the article's thesis (title, lede, conclusion) by
   `motions.candidates` and ranked by how much material each side has.
2. Claims: the claim detector (`claims.py`) scores every body sentence for the motion; fragments,
   headings, captions, truncated text and dangling pronouns never pass. A reported view ("Critics say
   that X") becomes the claim X, held by the critics.
3. Sides come from the stance model toward the motion (`stance.py`), never from who holds a claim.
   Holders are found separately: a person holds a quote only when the article quotes them
   (`index.quoted_speaker`, the rule speeches use to attribute quotes).
4. A side the article gives almost nothing to marks the motion one-sided. That side is drawn first
   from concessions, reported critics and counter-evidence in the article, then from GPR-KB-55
   general-purpose claims instantiated for the motion (`source: general`, no evidence).
5. Links join claims of opposite sides that address the same point (nearest by meaning, each claim
   answering at most a few).

Everything is marked draft, with a confidence per claim and overall. Quotes are verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .article import Article, Sentence
from .claims import (
    ClaimDetector,
    embed_unit,
    get_detector,
    lexical_features,
    reported_view,
    sentence_problem,
    strip_connective,
    words,
)
from .index import learn_names, quoted_speaker
from .motions import MotionCandidate, candidates, motion_problem, noun_phrase_title
from .pack import Claim, Evidence, Motion, Pack
from .rebuttal import general_claims, instantiate_general
from .stance import predict_stance

PER_SIDE = 8  # at most this many claims per side of a motion
CANDIDATES = 18  # sentences per motion that the stance model reads
MIN_CANDIDATES = 8
CANDIDATE_SHARE = 0.3  # of the article's possible claims, the share the stance model reads per motion
STANCE_FLOOR = 0.55  # a claim's side must be at least this sure
MIN_SIDE = 2  # fewer article claims than this on a side (or under a quarter of the other) is one-sided
GENERAL_PER_SIDE = 3
LINK_FLOOR = 0.12  # centred WordLlama cosine: two claims this close address the same point
LINKS_PER_CLAIM = 2
MAX_IN_LINKS = 3
MAX_WORDS = 60

_SAY = (r"(?:said|says|told|tweeted|writes|wrote|added|argued|argues|declared|claimed|claims|insisted|insists|"
        r"warned|warns|noted|asserted|explained|stressed|urged|countered|replied|according to)")
_NAME = r"((?:(?:[A-Z][a-z’'-]+|[A-Z]\.)\s){0,3}[A-Z][a-z’'-]+)"
_ATTR = [re.compile(rf"[”\"]\s*,?\s*{_NAME}\s+{_SAY}"),
         re.compile(rf"[”\"]\s*,?\s*{_SAY}\s+(?:[a-z]+\s+){{0,3}}{_NAME}"),
         re.compile(rf"{_NAME}\s+(?:\([^)]*\)\s+)?{_SAY}\b[^“\"]*[“\"]"),
         re.compile(rf"{_NAME},\s+(?:[^,“\"]{{3,80}}),\s+{_SAY}\b")]
_INTRO_COLON = re.compile(rf"{_NAME}\s+(?:{_SAY}|made|makes|put it|puts it)\b[^.“”\"]*:\s*$")
_QUOTED = re.compile(r"[“\"]([^”\"]{20,})[”\"]")
_CONCESSION = re.compile(r"^(?:of course|sure|admittedly|granted|yes|it[’']s true|it is true|true,|no doubt|"
                         r"to be sure|critics|opponents|sceptics|skeptics|some argue|others argue|there are risks|"
                         r"the downside|the risk|on the other hand|not everyone)\b", re.I)
_TITLE_WORDS = {"Rep", "Sen", "Secretary", "President", "Minister", "Prime", "Dr", "Mr", "Mrs", "Ms", "Professor",
                "Chief", "Executive", "Director", "The", "And", "But", "In", "As", "Columnist"}


@dataclass
class _Cand:
    """A body sentence read as a claim: its text, evidence and holder."""

    sent: Sentence
    text: str
    quote: str
    start: int
    end: int
    holder: str
    reported: bool


def _person(sentence: Sentence, article: Article, block: dict[int, str]) -> str | None:
    """The named person a sentence attributes its quotation to (or the block quotation's speaker)."""
    if sentence.paragraph in block:
        return block[sentence.paragraph]
    for rx in _ATTR:
        m = rx.search(sentence.text)
        if m:
            ws = [w for w in m.group(1).split() if w not in _TITLE_WORDS]
            if ws:
                return " ".join(ws[-2:])
    return None


def _block_speakers(article: Article) -> dict[int, str]:
    """Paragraph -> person, for block quotations introduced by "X writes:"."""
    out: dict[int, str] = {}
    for p in article.paragraphs[:-1]:
        m = _INTRO_COLON.search(p.text)
        if m:
            ws = [w for w in m.group(1).split() if w not in _TITLE_WORDS]
            if ws:
                out[p.index + 1] = " ".join(ws[-2:])
    return out


def _read(sentence: Sentence, article: Article, block: dict[int, str]) -> _Cand | None:
    """A sentence as a candidate claim (None when no part of it can stand as one)."""
    text = sentence.text
    if len(words(text)) > MAX_WORDS:
        return None
    start, end, quote, holder = sentence.start, sentence.end, text, "author"
    person = _person(sentence, article, block)
    if person:
        m = _QUOTED.search(text)
        if m and len(words(m.group(1))) >= 5:
            inner = m.group(1).rstrip(" ,")
            s0 = sentence.start + m.start(1)
            ev = Evidence(quote=inner, start=s0, end=s0 + len(inner))
            if quoted_speaker(article, ev, person) == person:
                start, end, quote, holder = s0, s0 + len(inner), inner, person
        elif sentence.paragraph in block:
            ev = Evidence(quote=text, start=sentence.start, end=sentence.end)
            if quoted_speaker(article, ev, person) == person:
                holder = person
    rep = reported_view(quote)
    claim = rep.clause if rep else re.sub(r"[“”\"]", "", strip_connective(quote)).strip()
    if holder == "author" and rep:
        holder = rep.who
    if claim and not claim.endswith((".", "!", "?")):
        claim = claim.rstrip(",;:—- ") + "."
    claim = claim[:1].upper() + claim[1:]
    if sentence_problem(claim) or (quote == text and sentence_problem(text)):
        return None
    return _Cand(sentence, claim, quote, start, end, holder, rep is not None)


def _body(article: Article) -> list[Sentence]:
    last = len(article.paragraphs) - 1
    byline = last if article.author and article.paragraphs[last].text.startswith(article.author.split()[0]) else -1
    return [s for s in article.sentences if not article.is_heading(s.paragraph) and s.paragraph != byline]


def _fallback_scores(texts: Sequence[str], vecs: np.ndarray, motion: str) -> np.ndarray:
    """Without the detector's weights: modal and evaluative cues plus closeness to the motion."""
    mv = embed_unit([motion])[0]
    lex = np.stack([lexical_features(t) for t in texts])
    z = -2.5 + 1.2 * lex[:, 1] + 1.5 * lex[:, 2] + 0.6 * lex[:, 3] + 0.8 * lex[:, 4] - 0.8 * lex[:, 5] \
        - 0.8 * lex[:, 7] + 3.0 * (vecs @ mv)
    p = 1.0 / (1.0 + np.exp(-z))
    return np.where(lex[:, 15] > 0, 0.0, p)


@dataclass
class _Drafted:
    motion: str
    origin: str
    pro: list[tuple[_Cand, float, float]]  # candidate, stance confidence, detector probability
    con: list[tuple[_Cand, float, float]]
    one_sided: str | None
    general: dict[str, list[tuple[str, str, float]]]  # side -> (gpr id, text, confidence)

    @property
    def material(self) -> float:
        """How much each side has: the thinner side counts most."""
        return min(len(self.pro), len(self.con)) + 0.25 * (len(self.pro) + len(self.con))


def _sides(motion: str, items: list[tuple[_Cand, float]]) -> tuple[list, list]:
    pro, con = [], []
    if not items:
        return pro, con
    for (c, p), st in zip(items, predict_stance(motion, [c.text for c, _ in items]), strict=True):
        if st.confidence >= STANCE_FLOOR:
            (pro if st.label == "pro" else con).append((c, st.confidence, p))
    return pro, con


def _general_for(motion: str, side: str, n: int) -> list[tuple[str, str, float]]:
    """GPR-KB-55 claims instantiated for the motion that the stance model puts on `side`, surest first."""
    m = Motion(id="m", text=motion)
    rows = [(gid, instantiate_general(claim, m)) for gid, claim, _ in general_claims() if "<" not in claim
            or "TOPIC>" in claim]
    rows = [(g, t) for g, t in rows if "<" not in t and 5 <= len(words(t)) <= 30]
    stances = predict_stance(motion, [t for _, t in rows])
    ranked = sorted(((g, t, st.confidence) for (g, t), st in zip(rows, stances, strict=True) if st.label == side),
                    key=lambda x: -x[2])
    out: list[tuple[str, str, float]] = []
    for g, t, c in ranked:
        if len(out) >= n:
            break
        out.append((g, t if t.endswith(".") else t + ".", c))
    return out


def _draft_motion(cand: MotionCandidate, cands: list[_Cand], vecs: np.ndarray, detector: ClaimDetector | None,
                  *, general: bool = True) -> _Drafted:
    texts = [c.text for c in cands]  # what the sentence claims (a quote without its "said X", a reported view)
    p = detector.score(texts, cand.text, vecs) if detector is not None else _fallback_scores(texts, vecs, cand.text)
    order = [int(i) for i in np.argsort(-p) if p[i] > 0]
    # the detector ranks; how many the stance model reads grows with the article (its probabilities,
    # fitted on encyclopaedia text, are low on op-eds, so an absolute floor would drop their claims)
    k = int(min(CANDIDATES, max(MIN_CANDIDATES, round(len(cands) * CANDIDATE_SHARE))))
    top = order[:k]
    pro, con = _sides(cand.text, [(cands[i], float(p[i])) for i in top])
    weak = "pro" if len(pro) < len(con) else "con"
    strong_n = max(len(pro), len(con))
    thin = lambda: min(len(pro), len(con)) < max(MIN_SIDE, 0.25 * strong_n)  # noqa: E731
    one_sided = None
    gen: dict[str, list[tuple[str, str, float]]] = {}
    if thin():
        # the weak side, first from concessions, reported critics and counter-evidence in the article
        used = set(top)
        extra = [i for i in order if i not in used
                 and (cands[i].reported or _CONCESSION.search(cands[i].sent.text))][:12]
        extra += [i for i in order if i not in used and i not in extra][:12]
        ep, ec = _sides(cand.text, [(cands[i], float(p[i])) for i in extra])
        (pro if weak == "pro" else con).extend(ep if weak == "pro" else ec)
        if thin():
            one_sided = weak
            have = len(pro) if weak == "pro" else len(con)
            if general:
                gen[weak] = _general_for(cand.text, weak, max(MIN_SIDE, GENERAL_PER_SIDE) - min(have, 1))
    for side in (pro, con):
        side.sort(key=lambda x: -(x[1] * (0.5 + x[2])))
        del side[PER_SIDE:]
    return _Drafted(cand.text, cand.origin, pro, con, one_sided, gen)


def _links(claims: list[Claim], vec_of: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """Each claim -> up to two claims of the other side that address the same point (none if none is close)."""
    links: dict[str, list[str]] = {}
    indeg: dict[str, int] = {}
    by_motion: dict[str, list[Claim]] = {}
    for c in claims:
        by_motion.setdefault(c.motion, []).append(c)
    for group in by_motion.values():
        pairs = []
        for a in group:
            for b in group:
                if a.side != b.side and not b.reply_only:
                    pairs.append((float(vec_of[a.id] @ vec_of[b.id]), a.id, b.id))
        pairs.sort(reverse=True)
        # each claim's nearest claims of the other side: a pair below the floor still counts when the two
        # are each other's nearest (the same point, relative to the rest of a short article)
        best: dict[str, list[str]] = {}
        for _, a, b in pairs:
            best.setdefault(a, []).append(b)
        for sim, a, b in pairs:
            mutual = sim > 0 and best[a][0] == b and a in best.get(b, [])[:2]
            if sim < LINK_FLOOR and not mutual:
                continue
            if len(links.get(a, [])) >= LINKS_PER_CLAIM or indeg.get(b, 0) >= MAX_IN_LINKS:
                continue
            links.setdefault(a, []).append(b)
            indeg[b] = indeg.get(b, 0) + 1
    return links


def draft_pack(article: Article, *, n_motions: int = 5, motions: Sequence[str] | None = None,
               progress: Callable[[str, float], None] | None = None, article_name: str | None = None,
               detector: ClaimDetector | None = None, general: bool = True) -> Pack:
    """Draft a pack for `article`: the given motions (first given = first motion), or up to `n_motions` drafted."""

    def step(desc: str, pct: float) -> None:
        if progress:
            progress(desc, pct)

    step("finding sentences", 5)
    names = learn_names(article.text)
    body = _body(article)
    block = _block_speakers(article)
    cands = [c for s in body if (c := _read(s, article, block)) is not None]
    if len(cands) < 4:
        raise ValueError("the article is too short to draft a debate pack (fewer than 4 sentences that could be claims)")
    detector = detector if detector is not None else get_detector()
    step("embedding sentences", 15)
    vecs = embed_unit([c.text for c in cands])

    step("drafting motions", 25)
    if motions:
        wanted = []
        for t in motions:
            t = " ".join(t.split()).rstrip(".")
            if not t:
                continue
            wanted.append(MotionCandidate(t, "given"))
        if not wanted:
            raise ValueError("every --motion given was empty")
        pool = wanted
    else:
        pool = candidates(article, names, body)
        if not pool and noun_phrase_title(article.title):
            t = f"This house supports {article.title.strip().rstrip('.')}"
            if not motion_problem(t):
                pool = [MotionCandidate(t, "title")]
        if not pool:
            raise ValueError("could not draft a motion: the article states no thesis (no title, lede or "
                             "conclusion that reads as a resolution); give one with --motion")
        prio = {"title": 0, "lede": 1, "conclusion": 2, "body": 3}
        pool = sorted(pool, key=lambda c: prio.get(c.origin, 4))[:n_motions + 2]
        # near-duplicates of a motion already in the pool say the same thing
        mv = embed_unit([c.text for c in pool])
        keep: list[int] = []
        for i in range(len(pool)):
            if all(float(mv[i] @ mv[j]) < 0.92 for j in keep):
                keep.append(i)
        pool = [pool[i] for i in keep]

    drafted: list[_Drafted] = []
    for k, cand in enumerate(pool):
        step(f"reading the article for motion {k + 1} of {len(pool)}", 25 + 55 * k / max(1, len(pool)))
        drafted.append(_draft_motion(cand, cands, vecs, detector, general=general))
    if not motions:
        # the title's thesis first (when the article argues it at all), then by how much material each side has
        bonus = {"lede": 0.5, "conclusion": 0.5}
        drafted.sort(key=lambda d: (not (d.origin == "title" and (d.pro or d.con)),
                                    -(d.material + bonus.get(d.origin, 0.0))))
        drafted = [d for d in drafted if d.pro or d.con][:n_motions]
    if not drafted:
        raise ValueError("could not draft any motion from this article")

    step("linking rebuttals", 85)
    center = vecs.mean(axis=0)
    out_motions: list[Motion] = []
    claims: list[Claim] = []
    vec_of: dict[str, np.ndarray] = {}
    gen_texts: list[tuple[str, str]] = []
    cand_vec = {id(c): vecs[i] for i, c in enumerate(cands)}
    for n, d in enumerate(drafted, start=1):
        mid = f"m{n}"
        out_motions.append(Motion(id=mid, text=d.motion, kind="draft", one_sided=d.one_sided))
        for side, items in (("pro", d.pro), ("con", d.con)):
            for c, conf, p in items:
                cid = f"{mid}-{side}-s{c.sent.index}"
                claims.append(Claim(id=cid, motion=mid, side=side, text=c.text, holder=c.holder,
                                    evidence=[Evidence(quote=c.quote, start=c.start, end=c.end,
                                                       paragraph=article.paragraph_at(c.start))],
                                    confidence=round(conf * (0.5 + 0.5 * min(1.0, p / 0.5)), 2)))
                v = cand_vec[id(c)] - center
                vec_of[cid] = v / (np.linalg.norm(v) + 1e-9)
            for gid, text, conf in d.general.get(side, []):
                cid = f"{mid}-{side}-{gid.lower()}"
                claims.append(Claim(id=cid, motion=mid, side=side, text=text, holder="general", source="general",
                                    evidence=[], confidence=round(0.3 * conf, 2)))
                gen_texts.append((cid, text))
    if gen_texts:
        gv = embed_unit([t for _, t in gen_texts]) - center
        gv /= np.linalg.norm(gv, axis=1, keepdims=True) + 1e-9
        for (cid, _), v in zip(gen_texts, gv, strict=True):
            vec_of[cid] = v
    links = _links(claims, vec_of)
    step("assembling the pack", 95)
    confidence = float(np.mean([c.confidence or 0.3 for c in claims])) * 0.8 if claims else 0.0
    one = sum(m.one_sided is not None for m in out_motions)
    notes = ("Drafted offline: motions from the article's thesis, claims by the claim detector, sides by the "
             "stance model. Review motions, sides and links before use.")
    if one:
        notes += f" {one} motion(s) one-sided: the thin side includes general-purpose claims (source: general)."
    return Pack(title=article.title, article=article_name or (article.source and str(article.source).rsplit("/", 1)[-1]),
                draft=True, confidence=round(confidence, 2), notes=notes, motions=out_motions, claims=claims,
                links=links)


def keep_motions(pack: Pack, motion_ids: Sequence[str]) -> Pack:
    """The pack with only these motions, in this order (renumbered m1, m2, …); their claims and links kept."""
    order = [m for mid in motion_ids if (m := pack.motion(mid)) is not None]
    if not order:
        raise ValueError("a pack needs at least one motion")
    rename = {m.id: f"m{i}" for i, m in enumerate(order, start=1)}
    claim_ids: dict[str, str] = {}
    claims = []
    for c in pack.claims:
        if c.motion in rename:
            new_id = rename[c.motion] + c.id[len(c.motion):] if c.id.startswith(c.motion + "-") else c.id
            claim_ids[c.id] = new_id
            claims.append(c.model_copy(update={"id": new_id, "motion": rename[c.motion]}))
    links = {claim_ids[a]: [claim_ids[b] for b in bs if b in claim_ids]
             for a, bs in pack.links.items() if a in claim_ids}
    motions = [m.model_copy(update={"id": rename[m.id]}) for m in order]
    return pack.model_copy(update={"motions": motions, "claims": claims, "links": {k: v for k, v in links.items() if v}})


def reword_motion(pack: Pack, article: Article, motion_id: str, text: str) -> Pack:
    """The pack with one motion reworded and its claims drafted again for the new wording (sides may change)."""
    why = motion_problem(text.strip().rstrip("."))
    if why:
        raise ValueError(f"that motion {why}")
    old = pack.motion(motion_id)
    if old is None:
        raise ValueError(f"no motion {motion_id}")
    fresh = draft_pack(article, motions=[text])
    prefix = f"{motion_id}-"
    claims = [c for c in pack.claims if c.motion != motion_id]
    new_claims = [c.model_copy(update={"id": prefix + c.id[len("m1-"):], "motion": motion_id}) for c in fresh.claims]
    links = {a: bs for a, bs in pack.links.items() if not a.startswith(prefix)}
    links.update({prefix + a[len("m1-"):]: [prefix + b[len("m1-"):] for b in bs] for a, bs in fresh.links.items()})
    motions = [fresh.motions[0].model_copy(update={"id": motion_id}) if m.id == motion_id else m for m in pack.motions]
    return pack.model_copy(update={"motions": motions, "claims": claims + new_claims, "links": links})

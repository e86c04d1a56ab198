"""Offline pack drafting for any article (no language model): heuristics + the matcher's embeddings.

1. Attribute every body sentence to a holder: the author, or the person quoted ("X said",
   "X writes:" before a block quote).
2. Sort sentences into the author's case (pro) and the other side (con): quoted critics and the
   author's own concessions ("Of course...", "Sure,...").
3. Cut the article into contiguous sections by embedding similarity; each section with material
   on both sides becomes a motion worded from its most thesis-like author sentence.
4. Link each con claim to the pro claims that answer it (the author's reply that follows it,
   then similarity), and each pro claim to its nearest con claim.

Everything is marked draft, with a confidence per claim and overall. Quotes are verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from .article import Article, Sentence
from .index import lc_first, learn_names
from .pack import Claim, Evidence, Motion, Pack

_SAY = r"(?:said|says|told|tweeted|writes|wrote|added|argued|argues|declared|claimed|claims|insisted|warned|noted|asserted)"
_NAME = r"((?:(?:[A-Z][a-z’'-]+|[A-Z]\.)\s){0,3}[A-Z][a-z’'-]+)"
_ATTR_AFTER = re.compile(rf"[”\"]\s*,?\s*(?:{_NAME}\s+{_SAY}|{_SAY}\s+{_NAME})")
_ATTR_BEFORE = re.compile(rf"{_NAME}\s+(?:\([^)]*\)\s+)?{_SAY}\b[^“\"]*[“\"]")
_INTRO_COLON = re.compile(rf"{_NAME}\s+(?:{_SAY}|made|makes|put it|puts it)\b[^.“”\"]*:\s*$")
_REPORTED = re.compile(
    r"^(?:but\s+|and\s+|yet\s+)?((?:many\s+|some\s+)?(?:critics|opponents|sceptics|skeptics|detractors|some|others|"
    r"[a-z]+\s+owners|residents|experts|many)(?:\s+also)?)\s+(?:have\s+)?(?:say|said|warn|warned|argue|argued|claim|"
    r"claimed|fear|feared|insist|insisted|complain|complained|worry|worried)\b", re.I)
_CONCESSION = re.compile(r"^(of course|sure|admittedly|granted|yes|it’s true|it's true|true,|no doubt|to be sure)\b", re.I)
_CONTRAST = re.compile(r"^(but|however|yet|still|in fact|actually|i’m sorry|i'm sorry|no,|wrong)\b", re.I)
_LEAD = re.compile(r"^(but|and|so|yet|also|still|then|finally|meanwhile|in other words|of course|sure|indeed|"
                   r"in the end|in contrast|after all|however|hey|well)\b[,:]?\s*", re.I)
_THESIS = re.compile(r"\b(should|must|need|only way|better|worse|recipe|failure|success|not|no|never|wrong|right|"
                     r"key|best|important|beneficial|stupid|fantasy)\b", re.I)
# a thesis says what should be or what works; a narrative sentence says what happened when
_MODAL = re.compile(r"\b(should|must|ought|need to|needs to|only way|sure recipe|recipe for|key to|is beneficial|"
                    r"is better|are better|would be|cannot|can't|won't work|is wrong|is right)\b", re.I)
_NARRATIVE = re.compile(r"^(right after|after|before|in (?:[A-Z]\w+|\d{4})|on \w+day|heading into|prior to|last \w+|"
                        r"then|meanwhile|for instance|in the lead-up)\b", re.I)
_TITLE_WORDS = {"Rep", "Sen", "Secretary", "President", "Columnist", "Advisor", "National", "Security", "Washington",
                "Post", "State", "Of", "The", "And", "But"}


def _holder_from(m: re.Match) -> str | None:
    name = next((g for g in m.groups() if g), None)
    if not name:
        return None
    words = [w for w in name.split() if w not in _TITLE_WORDS]
    return " ".join(words[-2:]) if words else None


def _attribute(article: Article, body: list[Sentence]) -> dict[int, str]:
    """sentence index -> holder ("author" or a name)."""
    holders: dict[int, str] = {}
    block_holder: dict[int, str] = {}
    for p in article.paragraphs:
        m = _INTRO_COLON.search(p.text)
        if m and p.index + 1 < len(article.paragraphs):
            h = _holder_from(m)
            if h:
                block_holder[p.index + 1] = h
    for s in body:
        h = block_holder.get(s.paragraph)
        if not h:
            m = _ATTR_AFTER.search(s.text) or _ATTR_BEFORE.search(s.text)
            if m and ("“" in s.text or '"' in s.text):
                h = _holder_from(m)
        if not h and s.text.lstrip().startswith(("“", '"')) and s.index - 1 in holders \
                and article.sentences[s.index - 1].paragraph == s.paragraph:
            h = holders[s.index - 1] if holders[s.index - 1] != "author" else None  # a quote running on
        holders[s.index] = h or "author"
    return holders


def _claim_text(sentence: str, holder: str) -> str:
    t = re.sub(r"[“”\"]", "", sentence).strip()
    t = _LEAD.sub("", t)
    t = _LEAD.sub("", t)
    t = re.sub(rf",?\s*{_NAME}\s+(?:\([^)]*\)\s+)?{_SAY}\b.*$", "", t) if holder != "author" else t
    words = t.split()
    if len(words) > 32:
        t = " ".join(words[:32]).rstrip(",;:—-") + "…"
    t = t[:1].upper() + t[1:] if t else sentence
    if holder != "author" and not t.lower().startswith(holder.lower()):
        t = f"{holder}: {t}"
    return t if t.endswith((".", "!", "?", "…")) else t + "."


def _motion_text(sentence: str, names: frozenset[str]) -> str:
    t = re.sub(r"[“”\"]", "", sentence).strip()
    words = t.split()
    if len(words) >= 3 and sum(w[:1].isupper() for w in words) / len(words) > 0.6:  # Title Case -> sentence case
        t = " ".join(w if (i == 0 or w.strip(",.:;") in names) else w.lower() for i, w in enumerate(words))
    t = _LEAD.sub("", t)
    t = _LEAD.sub("", t).rstrip(".!?:; ")
    head, colon, tail = t.partition(":")
    if colon and len(head.split()) <= 4 and len(tail.split()) >= 4:  # "Let's be clear: ..." -> "..."
        t = tail.strip()
    words = t.split()
    if len(words) > 24:
        t = " ".join(words[:24]).rstrip(",;:—-") + "…"
    return f"This house believes that {lc_first(t, names)}"


def _segments(vecs: np.ndarray, n: int) -> list[list[int]]:
    """Merge adjacent items into n contiguous groups, greedily joining the most similar neighbours."""
    groups = [[i] for i in range(len(vecs))]

    def centroid(g):
        v = vecs[g].mean(axis=0)
        return v / (np.linalg.norm(v) + 1e-9)

    while len(groups) > max(1, n):
        sims = []
        for i in range(len(groups) - 1):
            size_pen = 0.015 * (len(groups[i]) + len(groups[i + 1]))
            sims.append(float(centroid(groups[i]) @ centroid(groups[i + 1])) - size_pen)
        j = int(np.argmax(sims))
        groups[j:j + 2] = [groups[j] + groups[j + 1]]
    return groups


def draft_pack(article: Article, *, n_motions: int = 5, progress: Callable[[str, float], None] | None = None,
               article_name: str | None = None) -> Pack:
    from .matcher import embed

    def step(desc: str, pct: float) -> None:
        if progress:
            progress(desc, pct)

    step("finding sentences", 10)
    names = learn_names(article.text)
    last = len(article.paragraphs) - 1
    byline = last if article.author and article.paragraphs[last].text.startswith(article.author.split()[0]) else -1
    body = [s for s in article.sentences
            if not article.is_heading(s.paragraph) and s.paragraph != byline
            and 6 <= len(s.text.split()) <= 70 and not s.text.rstrip().endswith("?")]
    if len(body) < 4:
        raise ValueError("the article is too short to draft a debate pack (fewer than 4 usable sentences)")

    step("attributing quotes", 25)
    holders = _attribute(article, body)
    side: dict[int, str] = {}
    conf: dict[int, float] = {}
    for s in body:
        h = holders[s.index]
        rep = _REPORTED.search(s.text)
        if h == "author" and rep:
            h = holders[s.index] = re.sub(r"\s+also$", "", rep.group(1).strip()).capitalize()
        if h != "author":
            side[s.index], conf[s.index] = "con", 0.55
        elif _CONCESSION.search(s.text):
            side[s.index], conf[s.index] = "con", 0.45
        else:
            side[s.index], conf[s.index] = "pro", 0.5 + (0.1 if _THESIS.search(s.text) else 0.0)

    step("embedding sentences", 40)
    vecs = embed([s.text for s in body])
    center = vecs.mean(axis=0)
    cvecs = vecs - center
    cvecs /= np.linalg.norm(cvecs, axis=1, keepdims=True) + 1e-9

    step("cutting into sections", 55)
    # paragraph-level contiguous sections
    paras = sorted({s.paragraph for s in body})
    pvecs = np.stack([cvecs[[i for i, s in enumerate(body) if s.paragraph == p]].mean(axis=0) for p in paras])
    pvecs /= np.linalg.norm(pvecs, axis=1, keepdims=True) + 1e-9
    n_motions = max(1, min(n_motions, len(body) // 8))
    groups = _segments(pvecs, min(len(paras), max(1, n_motions + 2)))
    sections = [[i for i, s in enumerate(body) if s.paragraph in {paras[g] for g in grp}] for grp in groups]

    step("drafting motions", 70)
    motions: list[Motion] = []
    claims: list[Claim] = []
    scored_sections = []
    for sec in sections:
        pros = [i for i in sec if side[body[i].index] == "pro"]
        cons = [i for i in sec if side[body[i].index] == "con"]
        scored_sections.append((min(len(pros), 3) + min(len(cons), 3) + 0.1 * len(sec), sec, pros, cons))
    scored_sections.sort(key=lambda x: -x[0])
    used_sent: set[int] = set()
    title = article.title.strip().rstrip(".!")
    if re.search(r"\b(should|must|needs?|ought|is|are|can|will|won’t|won't|cannot)\b", title, re.I) \
            and 3 <= len(title.split()) <= 16 and ":" not in title:
        # an assertive title is the article's thesis: the first motion, argued from the whole text
        all_idx = list(range(len(body)))
        scored_sections.insert(0, (99.0, all_idx, [i for i in all_idx if side[body[i].index] == "pro"],
                                   [i for i in all_idx if side[body[i].index] == "con"]))
        title_motion = _motion_text(title, names)
    else:
        title_motion = None
    for _, sec, pros, cons in scored_sections[:n_motions]:
        if not pros:
            continue
        mid = f"m{len(motions) + 1}"
        sec_c = cvecs[sec].mean(axis=0)

        def thesis_score(i, sec_c=sec_c):
            t = body[i].text
            return (float(cvecs[i] @ sec_c) + (0.15 if _THESIS.search(t) else 0) + (0.25 if _MODAL.search(t) else 0)
                    - (0.25 if _NARRATIVE.search(t) else 0) - (0.2 if "“" in t or '"' in t else 0)
                    - 0.004 * max(0, len(t.split()) - 25))

        thesis = max(pros, key=thesis_score)
        if title_motion and not motions:
            text = title_motion
            pros = sorted(pros, key=thesis_score, reverse=True)
        else:
            text = _motion_text(body[thesis].text, names)
        if any(m.text == text for m in motions):
            continue
        motions.append(Motion(id=mid, text=text, kind="draft"))
        cons_used = list(cons)
        if not cons_used:
            # borrow the closest opposing material from elsewhere in the article
            pool = [i for i in range(len(body)) if side[body[i].index] == "con" and i not in sec]
            pool.sort(key=lambda i: -float(cvecs[i] @ sec_c))
            cons_used = pool[:2]
        if not cons_used:
            # no quoted opponents or concessions at all: the weakest-fitting author sentences stand in, marked low
            cons_used = sorted(pros, key=thesis_score)[:1]
            pros = [i for i in pros if i not in cons_used]
            for i in cons_used:
                conf[body[i].index] = 0.15
        for sd, items in (("pro", pros[:8]), ("con", cons_used[:8])):
            for i in items:
                s = body[i]
                h = holders[s.index]
                claims.append(Claim(
                    id=f"{mid}-{sd}-{s.index}", motion=mid, side=sd, text=_claim_text(s.text, h),
                    holder=h, evidence=[Evidence(quote=s.text)], confidence=round(conf[s.index], 2)))
                used_sent.add(i)
    if not motions:
        raise ValueError("could not draft any motion from this article")

    step("linking rebuttals", 85)
    sent_of = {c.id: int(c.id.rsplit("-", 1)[1]) for c in claims}
    idx_of = {s.index: i for i, s in enumerate(body)}
    links: dict[str, list[str]] = {}
    for m in motions:
        pro = [c for c in claims if c.motion == m.id and c.side == "pro"]
        con = [c for c in claims if c.motion == m.id and c.side == "con"]
        for c in con:
            ci = sent_of[c.id]

            def answer_score(p, ci=ci):
                pi = sent_of[p.id]
                sim = float(cvecs[idx_of[pi]] @ cvecs[idx_of[ci]])
                gap = pi - ci
                after = 0.35 * (1 - 0.2 * (gap - 1)) if 0 < gap <= 4 else 0.0  # the reply that follows, nearest first
                contrast = 0.2 if 0 < gap <= 2 and _CONTRAST.search(body[idx_of[pi]].text) else 0.0
                return sim + after + contrast

            ranked = sorted(pro, key=answer_score, reverse=True)
            links[c.id] = [p.id for p in ranked[:2]]
        for p in pro:
            if con:
                best = max(con, key=lambda c, p=p: float(cvecs[idx_of[sent_of[c.id]]] @ cvecs[idx_of[sent_of[p.id]]]))
                links[p.id] = [best.id]
    confidence = float(np.mean([c.confidence or 0.3 for c in claims])) * 0.8
    step("assembling the pack", 95)
    return Pack(title=article.title, article=article_name or (article.source and str(article.source).rsplit("/", 1)[-1]),
                draft=True, confidence=round(confidence, 2),
                notes="Drafted offline by heuristics: review motions, sides and links before use.",
                motions=motions, claims=claims, links=links)

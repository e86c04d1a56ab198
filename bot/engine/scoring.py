"""The automatic judge: relevance, evidence, engagement and structure, each 0..1 with a reason.

Bottom cases (empty, spam, off-topic, verbatim copy of the article) are flagged and capped near
the bottom of the scale, with the reason in the criteria and a tip to fix it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from .article import split_sentences
from .pack import Motion
from .results import Criterion, SpeechScore
from .speech import budget_words

if TYPE_CHECKING:
    from .core import Engine

SIGNPOSTS = re.compile(
    r"\b(first(ly)?|second(ly)?|third(ly)?|finally|because|therefore|so|thus|in conclusion|to sum up|moreover|"
    r"however|for example|for instance|that is why|which means|this shows|in short|to close|overall)\b", re.I)
REBUT_MARKERS = re.compile(
    r"\b(they|opponents?|the other side|my friends?|claims?|said|says|argued?|wrong|fails?|misses?|ignores?)\b", re.I)
DEBATE_WORDS = re.compile(r"\b(motion|this house|opponents?|the other side|debate|proposition|opposition|our side)\b", re.I)
_WORD = re.compile(r"[A-Za-z0-9’']+")
_QUOTED = re.compile(r"[“\"]([^”\"]{12,})[”\"]")
_PARA_REF = re.compile(r"\b(paragraph|para\.?|¶)\s*(\d+)", re.I)

WEIGHTS = {"relevance": 0.35, "evidence": 0.25, "engagement": 0.15, "structure": 0.25}


def _norm_words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def copy_ratio(text: str, article_grams: set[tuple[str, ...]], n: int = 8) -> float:
    """Share of the speech's words that sit inside n-word runs copied from the article."""
    words = _norm_words(text)
    if len(words) < n:
        return 0.0
    covered = np.zeros(len(words), dtype=bool)
    for i in range(len(words) - n + 1):
        if tuple(words[i:i + n]) in article_grams:
            covered[i:i + n] = True
    return float(covered.mean())


def spam_reason(text: str) -> str | None:
    words = _norm_words(text)
    if not words:
        return "no words"
    if len(words) >= 12:
        uniq = len(set(words)) / len(words)
        if uniq < 0.3:
            return f"the same few words repeated ({len(set(words))} distinct of {len(words)})"
    sents = [s.strip().lower() for s in re.split(r"[.!?\n]+", text) if s.strip()]
    if len(sents) >= 4 and len(set(sents)) / len(sents) < 0.5:
        return "the same sentence repeated"
    wordlike = [w for w in words if re.search(r"[aeiouy]", w) and not re.search(r"(.)\1\1", w)]
    if len(words) >= 5 and len(wordlike) / len(words) < 0.6:
        return "mostly not words"
    if re.search(r"(https?://|www\.)\S+", text) and len(words) < 30:
        return "a link, not a speech"
    return None


def _lin(x: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


def score_speech(eng: Engine, text: str, motion: Motion, side: str, opponent_text: str = "", seconds: int = 120,
                 scale: tuple[float, float] = (0, 100)) -> SpeechScore:
    from .core import MATCH_FLOOR, calibrate

    if side not in ("pro", "con"):
        raise ValueError(f"side must be pro or con, not {side!r}")
    lo, hi = float(scale[0]), float(scale[1])
    text = (text or "").strip()
    budget = budget_words(seconds)
    has_opp = bool(opponent_text and opponent_text.strip())

    def result(crit: dict[str, Criterion], tips: list[str], flags: list[str], cap: float | None = None) -> SpeechScore:
        weights = {k: w for k, w in WEIGHTS.items() if has_opp or k != "engagement"}
        t = sum(crit[k].score * w for k, w in weights.items()) / sum(weights.values())
        if cap is not None:
            t = min(t, cap)
        return SpeechScore(total=round(lo + t * (hi - lo), 1), scale=(scale[0], scale[1]), criteria=crit,
                           tips=tips[:3], flags=flags)

    if not text:
        zero = {k: Criterion(0.0, "empty speech: nothing was said") for k in WEIGHTS}
        return result(zero, ["Say something: even three sentences with one reason and one quote from the article score.",
                             f"Aim for about {budget} words in {seconds} seconds."], ["empty"], cap=0.0)

    spam = spam_reason(text)
    if spam:
        crit = {k: Criterion(0.0, f"spam: {spam}") for k in WEIGHTS}
        return result(crit, ["Make an argument in full sentences: a claim, a reason, and evidence from the article.",
                             f"Aim for about {budget} words in {seconds} seconds, each point different."], ["spam"], cap=0.03)

    words = _norm_words(text)
    n_words = len(words)
    spans = split_sentences(text) or [(0, len(text))]
    sents = [text[s:e] for s, e in spans]
    flags: list[str] = []
    tips: list[str] = []

    # ------------------------------------------------------------ matching every sentence
    idx = eng.claim_index
    claims = eng.claims
    motion_mask = np.array([c.motion == motion.id for c in claims])
    sent_best_any = []
    sent_best_motion: list[tuple[int, float]] = []
    matched_claim_ids: set[str] = set()
    for s in sents:
        sc = idx.scores(s)
        sent_best_any.append(float(sc.max()) if len(sc) else 0.0)
        ms = np.where(motion_mask, sc, -1.0)
        j = int(ms.argmax())
        sent_best_motion.append((j, float(ms[j])))
        if ms[j] >= MATCH_FLOOR:
            matched_claim_ids.add(claims[j].id)
    cal_any = [calibrate(x) for x in sent_best_any]
    cal_motion = [calibrate(x) for _, x in sent_best_motion]
    whole = idx.scores(text)
    whole_motion = float(np.where(motion_mask, whole, -1.0).max())

    # ------------------------------------------------------------ relevance
    relevant = [i for i, c in enumerate(cal_motion) if c >= 0.5]
    own = sum(1 for i in relevant if claims[sent_best_motion[i][0]].side == side)
    rebut_other = sum(1 for i in relevant if claims[sent_best_motion[i][0]].side != side and REBUT_MARKERS.search(sents[i]))
    side_frac = (own + 0.5 * rebut_other) / len(relevant) if relevant else 0.0
    topical = min(1.0, 1.25 * float(np.mean(cal_motion)) + 0.3 * calibrate(whole_motion))
    relevance = 0.65 * topical + 0.35 * side_frac
    nothing_on_topic = max(cal_any + [calibrate(float(whole.max()))]) < 0.3
    # a vague speech that at least addresses the debate is "generic", not off-topic
    off_topic = nothing_on_topic and not DEBATE_WORDS.search(text)
    if nothing_on_topic and not off_topic:
        relevance = min(relevance, 0.2)
        rel_reason = "generic: it addresses the motion but makes no point the article's debate is about"
    elif off_topic:
        flags.append("off-topic")
        rel_reason = "off-topic: nothing in the speech is about the article or the motion"
        relevance = min(relevance, 0.05)
    if not nothing_on_topic:
        stance_word = "for" if side == "pro" else "against"
        rel_reason = (f"{len(relevant)} of {len(sents)} sentences are about the motion; "
                      f"{own} argue {stance_word} it" + (f", {rebut_other} answer the other side" if rebut_other else ""))
        if relevant and own == 0 and rebut_other == 0:
            rel_reason += " (the points made support the other side)"

    # ------------------------------------------------------------ evidence
    copied = copy_ratio(text, eng._article_grams)
    quotes = [q for q in _QUOTED.findall(text)]
    verbatim = [q for q in quotes if _in_article(eng, q)]
    para_refs = {int(m.group(2)) for m in _PARA_REF.finditer(text)}
    para_refs = {p for p in para_refs if 0 <= p < len(eng.article.paragraphs)}
    sidx = eng.sentence_index
    supported: dict[int, float] = {}
    for s in sents:
        sc = sidx.scores(s)
        j = int(sc.argmax())
        if sc[j] >= 0.42:
            key = int(sidx.uniq[j])
            supported[key] = max(supported.get(key, 0.0), float(sc[j]))
    paras = sorted({eng.article.sentences[k].paragraph for k in supported})
    evidence = min(1.0, 0.3 * len(verbatim) + 0.2 * len(supported) + 0.1 * min(len(para_refs), 3))
    ev_reason = (f"{len(supported)} point{'s' if len(supported) != 1 else ''} tied to article sentences"
                 + (f" (paragraphs {', '.join(map(str, paras[:6]))})" if paras else "")
                 + f", {len(verbatim)} verbatim quote{'s' if len(verbatim) != 1 else ''}")
    bad_quotes = [q for q in quotes if not _in_article(eng, q) and len(q.split()) >= 4]
    if bad_quotes:
        ev_reason += f"; {len(bad_quotes)} quote{'s' if len(bad_quotes) > 1 else ''} not found in the article"
        evidence = max(0.0, evidence - 0.15 * len(bad_quotes))
    copy_paste = copied >= 0.6 and n_words >= 15
    if copy_paste:
        flags.append("copy-paste")
        evidence = min(evidence, 0.1)
        ev_reason = f"copy-paste: {copied:.0%} of the speech is copied word for word from the article, not argued"

    # ------------------------------------------------------------ engagement
    opp_claims: list = []
    if has_opp:
        opp_sents = [opponent_text[s:e] for s, e in split_sentences(opponent_text)] or [opponent_text]
        for s in opp_sents:
            sc = idx.scores(s)
            j = int(sc.argmax())
            if sc[j] >= MATCH_FLOOR and claims[j].id not in {c.id for c in opp_claims}:
                opp_claims.append(claims[j])
        from .matcher import embed

        sv = embed(sents)
        ov = embed(opp_sents)
        direct = float((sv @ ov.T).max()) if len(sv) and len(ov) else 0.0
        addressed = []
        for c in opp_claims:
            answer_ids = {a.id for a in eng.pack.answers(c.id)} | {c.id}
            if answer_ids & matched_claim_ids:
                addressed.append(c)
        markers = len(re.findall(r"\b(my opponents?|the other side|they (said|say|claim|argue)|their (point|case|claim))\b", text, re.I))
        if opp_claims:
            engagement = 0.75 * len(addressed) / len(opp_claims) + 0.15 * min(1, markers) + 0.1 * _lin(direct, 0.5, 0.8)
        else:
            engagement = 0.6 * _lin(direct, 0.45, 0.8) + 0.4 * min(1, markers)
        eng_reason = (f"answers {len(addressed)} of the {len(opp_claims)} points the opponent made" if opp_claims
                      else "the opponent made no point the article covers; judged on direct response")
        if markers:
            eng_reason += f"; refers to the opponent {markers} time{'s' if markers > 1 else ''}"
    else:
        engagement = 0.5
        eng_reason = "no opponent speech to answer (not counted in the total)"
    if copy_paste:
        engagement = min(engagement, 0.1)

    # ------------------------------------------------------------ structure
    ratio = n_words / budget
    if ratio < 0.7:
        length = _lin(ratio, 0.08, 0.7)
    elif ratio <= 1.15:
        length = 1.0
    else:
        length = max(0.0, 1 - (ratio - 1.15) / 0.85)
    signposts = len(SIGNPOSTS.findall(text))
    structure = 0.55 * length + 0.3 * min(1.0, signposts / 3) + 0.15 * min(1.0, len(sents) / 4)
    st_reason = (f"{n_words} words for a {seconds}-second speech (about {budget} fit); "
                 f"{signposts} signpost{'s' if signposts != 1 else ''}, {len(sents)} sentence{'s' if len(sents) != 1 else ''}")
    if copy_paste:
        structure = min(structure, 0.2)

    crit = {
        "relevance": Criterion(round(relevance, 3), rel_reason),
        "evidence": Criterion(round(evidence, 3), ev_reason),
        "engagement": Criterion(round(engagement, 3), eng_reason),
        "structure": Criterion(round(structure, 3), st_reason),
    }

    # ------------------------------------------------------------ tips
    own_claims = eng.pack.claims_for(motion.id, side)
    fresh = [c for c in own_claims if c.id not in matched_claim_ids] or own_claims
    if copy_paste:
        tips.append("Don't read the article out: make the argument in your own words and quote only the one line that proves it.")
    if off_topic:
        tips.append(f"Stay on the motion “{motion.text}”: for example, argue that {_lc(fresh[0].text)}")
    order = sorted((k for k in crit if has_opp or k != "engagement"), key=lambda k: crit[k].score)
    for k in order:
        if len(tips) >= 3 or crit[k].score >= 0.85:
            continue
        if k == "relevance" and not off_topic:
            if relevant and own == 0 and rebut_other == 0:
                tips.append(f"Your points help the other side; argue your own: {_lc(fresh[0].text)}")
            else:
                tips.append(f"Tie every point to the motion; a strong one you didn't use: {_lc(fresh[0].text)}")
        elif k == "evidence" and not copy_paste:
            c = fresh[0]
            ev = c.evidence[0]
            tips.append(f"Back your point with the article, e.g. quote “{ev.quote}” (paragraph {ev.paragraph}).")
        elif k == "engagement" and has_opp and not copy_paste:
            missed = [c for c in opp_claims if not ({a.id for a in eng.pack.answers(c.id)} | {c.id}) & matched_claim_ids]
            if missed and eng.pack.answers(missed[0].id):
                ans = eng.pack.answers(missed[0].id)[0]
                tips.append(f"Answer their point that {_lc(missed[0].text)} The article gives you: {_lc(ans.text)}")
            else:
                tips.append("Name the opponent's strongest point and say why it fails before adding your own.")
        elif k == "structure":
            if ratio < 0.7:
                tips.append(f"Use your time: {n_words} words of about {budget}; add a point with a reason and a quote.")
            elif ratio > 1.15:
                tips.append(f"Cut to about {budget} words so you finish within {seconds} seconds.")
            else:
                tips.append("Signpost your case: 'First…, Second…, Finally…', and end with why your side wins.")
    if len(tips) < 2:
        tips.append("Finish with a one-line summary of why your side wins the debate.")

    cap = None
    if off_topic:
        cap = 0.04
    if copy_paste:
        cap = 0.05 if cap is None else min(cap, 0.05)
    return result(crit, tips, flags, cap=cap)


def _lc(s: str) -> str:
    from .speech import lc_first

    return lc_first(s)


def _in_article(eng: Engine, quote: str) -> bool:
    q = re.sub(r"\s+", " ", quote.replace("’", "'").replace("‘", "'")).strip().rstrip(".,;").lower()
    return len(q) >= 8 and q in eng._article_norm

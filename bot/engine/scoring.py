"""The automatic judge: relevance, evidence, analysis, engagement and structure, each 0..1 with a reason.

- Relevance: how much of the speech the on-topic gate hears as about the debate, and how much of
  that the stance model hears arguing the speaker's side (listening.py). Not claim overlap: a short
  on-topic point that no prepared claim covers is relevant.
- Evidence: quotes in any quotation marks that stand word for word in the article, and close
  paraphrases of article sentences; a "quote" that is not in the article costs a little.
- Analysis: reasons, consequences, impacts and weighing in the speaker's own words. Quoted text
  does not count, so a string of quotes read out earns little here.
- Engagement: which of the opponent's points were answered, by listening to both speeches
  (clash.py holds the rule; the round results use it too).
- Structure: length for the time allowed, signposts, and a conclusion.

Bottom cases (empty, spam, off-topic, verbatim copy of the article) are flagged and capped near the
bottom of the scale. Text that is not English is flagged `not-english`: the judge reads English only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from .article import split_sentences
from .clash import OPPONENT_REF, answered_points, case_points
from .gate import topicality
from .index import ArticleIndex, lc_first, norm_words, normalise_quote, other_side
from .listening import Hearing, listen
from .pack import Claim, Motion
from .results import Criterion, SpeechScore
from .speech import budget_words
from .stance import predict_stance

SIGNPOSTS = re.compile(
    r"\b(first(ly)?|second(ly)?|third(ly)?|finally|in conclusion|to sum up|moreover|in closing|to close|"
    r"however|for example|for instance|in short|overall|next|lastly|my (first|second|third|last) point)\b", re.I)
CONCLUSION = re.compile(r"\b(in (conclusion|closing|short|the end)|to (close|conclude|sum up)|so (we|i) "
                        r"(support|oppose|urge|ask)|that is why|for (these|those|all these) reasons|"
                        r"(propose|oppose|support|reject) the motion|vote (pro|con|for|against))\b", re.I)
# analysis, in the speaker's own words (quotes removed first)
REASON = re.compile(r"\b(because|cos|cuz|coz|bc|since|therefore|thus|hence|so that|that is why|this is why|which is why|"
                    r"which means|that means|this means|means|meaning|as a result|leads? to|led to|results? in|"
                    r"in turn|otherwise|unless|if\b.{3,80}\bthen|(would|will) (mean|lead|cause|make|leave|only)|"
                    r"only way|proves?|shows? that)\b|^\W*(so|then|thus|hence)\b|, so\b", re.I)
IMPACT = re.compile(r"\b(matters?|at stake|the impact|the cost of|would cost|risks? of|danger\w*|harms?|lives|"
                    r"wars?|safer|gains?|throw (it |that )?away|lose|loses|lost|worse off|better off|millions)\b", re.I)
WEIGHING = re.compile(r"\b(outweighs?|more important|most important|bigger|greater|worse than|better than|"
                      r"rather than|more than|less than|compared (to|with)|even if|even though|on balance|"
                      r"weigh\w*|the real question|far more|far less|matters more|the only)\b", re.I)
DEBATE_WORDS = re.compile(r"\b(motion|this house|opponents?|the other side|debate|proposition|opposition|our side)\b",
                          re.I)
_PARA_REF = re.compile(r"\b(paragraph|para\.?|¶)\s*(\d+)", re.I)
_WORD = re.compile(r"[A-Za-z0-9’']+")
# quotation marks: opener -> closer
_QUOTE_MARKS = {"“": "”", "„": "“", "«": "»", "‹": "›", "‘": "’", '"': '"', "'": "'"}
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.|\[\.\.\.\]|\[…\])\s*")
# a speech sentence this close to an article sentence (hybrid score) paraphrases it
# (below it: ArgKP-style unrelated or generic sentences reach about 0.32 on the seed article)
PARAPHRASE = 0.42
# share of a speech's words on topic above which it counts as wholly on topic (transitions are words too)
ON_TOPIC_FULL = 0.85

# the mean probability, over a speech's points, that they argue the speaker's side: at SIDE_LOW or below
# the speech argues the other side; at SIDE_HIGH or above, wholly the speaker's (the stance model is
# seldom sure of one sentence, so a clear speech averages about 0.6)
SIDE_LOW, SIDE_HIGH = 0.35, 0.6
DECLARE = re.compile(r"\b(?:we|i)(?: firmly| strongly| proudly)? (?:(support|propose|back|defend|are for|stand for)|"
                     r"(oppose|reject|are against|stand against))\b(?: the motion| this motion| this house)?", re.I)

WEIGHTS = {"relevance": 0.25, "evidence": 0.2, "analysis": 0.25, "engagement": 0.15, "structure": 0.15}


@dataclass(frozen=True)
class Quote:
    """A quotation in a speech: its span (inside the marks) and whether the article has it."""

    text: str
    start: int
    end: int
    in_article: bool


def copy_ratio(text: str, article_grams: set[tuple[str, ...]], n: int = 8) -> float:
    """Share of the speech's words that sit inside n-word runs copied from the article."""
    words = norm_words(text)
    if len(words) < n:
        return 0.0
    covered = np.zeros(len(words), dtype=bool)
    for i in range(len(words) - n + 1):
        if tuple(words[i:i + n]) in article_grams:
            covered[i:i + n] = True
    return float(covered.mean())


def spam_reason(text: str) -> str | None:
    """Why a text is spam (repeated words or sentences, not words, a bare link), or None."""
    words = norm_words(text)
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


def quote_in_article(index: ArticleIndex, quote: str) -> bool:
    """True when a quoted passage stands in the article (an ellipsis may join verbatim pieces)."""
    q = quote.strip().strip(" .,;:!?")
    if index.in_article(q):
        return True
    pieces = [p.strip(" .,;:!?") for p in _ELLIPSIS.split(q) if p.strip(" .,;:!?")]
    return len(pieces) > 1 and all(len(p) >= 8 and index.in_article(p) for p in pieces)


def find_quotes(index: ArticleIndex, text: str) -> list[Quote]:
    """Quotations in any quotation marks (“…”, "…", '…', ‘…’, «…»), apostrophes left alone."""
    out: list[Quote] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        closer = _QUOTE_MARKS.get(ch)
        if closer is None or (i > 0 and (text[i - 1].isalnum() or text[i - 1] in "’'")) \
                or i + 1 >= n or text[i + 1].isspace():
            i += 1
            continue
        # candidate closing marks: not inside a word (an apostrophe has a letter after it)
        cands = [j for j in range(i + 1, min(n, i + 800))
                 if text[j] == closer and not text[j - 1].isspace() and (j + 1 >= n or not text[j + 1].isalnum())]
        if not cands:
            i += 1
            continue
        # the longest passage that stands in the article (a quote may hold quotes), else the first mark
        chosen = next((j for j in reversed(cands) if quote_in_article(index, text[i + 1:j])), cands[0])
        inner = text[i + 1:chosen]
        if len(inner.strip()) >= 12 and len(inner.split()) >= 3:
            out.append(Quote(inner, i + 1, chosen, quote_in_article(index, inner)))
            i = chosen + 1
        else:
            i += 1
    return out


def other_script(text: str) -> bool:
    """True when most of a text's letters are not Latin (Korean, Cyrillic, Arabic...)."""
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in letters)
    return len(letters) >= 4 and latin < 0.5 * len(letters)


def not_english(index: ArticleIndex, text: str, motion: Motion) -> bool:
    """True when a text is in another language or script (mostly non-Latin letters, or the gate's verdict)."""
    return other_script(text) or topicality(index, text, motion.text).reason == "not_english"


def declared_side(text: str) -> str | None:
    """The side a speech says it argues ("we support the motion" -> pro), when it says so one way only."""
    said = {"pro" if m.group(1) else "con" for m in DECLARE.finditer(text)}
    return said.pop() if len(said) == 1 else None


def _unquoted(text: str, quotes: list[Quote]) -> str:
    """The speech with quoted passages blanked out (the speaker's own words)."""
    chars = list(text)
    for q in quotes:
        chars[q.start:q.end] = " " * (q.end - q.start)
    return "".join(chars)


def _lin(x: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def score_speech(index: ArticleIndex, text: str, motion: Motion, side: str, opponent_text: str = "",
                 seconds: int = 120, scale: tuple[float, float] = (0, 100)) -> SpeechScore:
    """Judge one speech on `motion` from `side` (against `opponent_text`, when given) on `scale`."""
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

    if other_script(text) or (spam_reason(text) is None and not_english(index, text, motion)):
        note = "not judged: the automatic judge reads English only"
        crit = {k: Criterion(0.0, note) for k in WEIGHTS}
        return result(crit, ["The automatic judge reads English only: give your speech in English to have it scored.",
                             "A human judge in the round can still score this speech with /debate judge."],
                      ["not-english"], cap=0.0)

    spam = spam_reason(text)
    if spam:
        crit = {k: Criterion(0.0, f"spam: {spam}") for k in WEIGHTS}
        return result(crit, ["Make an argument in full sentences: a claim, a reason, and evidence from the article.",
                             f"Aim for about {budget} words in {seconds} seconds, each point different."], ["spam"], cap=0.03)

    words = norm_words(text)
    n_words = len(words)
    flags: list[str] = []
    hearing = listen(index, text, motion.id, side)
    points = hearing.points
    case = case_points(hearing, text, motion.text)
    quotes = find_quotes(index, text)
    own_words = _unquoted(text, quotes)

    # ------------------------------------------------------------ relevance
    def mass(p) -> float:
        return max(1.0, len(_WORD.findall(p.span)))

    total_mass = sum(mass(p) for p in points) or 1.0
    on = [p for p in points if p.kind != "off_topic"]
    on_mass = sum(mass(p) for p in on)
    whole = topicality(index, text, motion.text)
    topical = min(1.0, max(on_mass / total_mass / ON_TOPIC_FULL, 0.8 * whole.score if whole.on_topic else 0.0))

    # which side the points argue: the stance model's probability for the speaker's side (the same,
    # cached call listening made); an attack on the other side's claim may read as that claim's stance
    # a point heard as a pack claim has that claim's side (listening); the stance model reads the rest
    heard = {id(p): (0.85 if p.stance == side else 0.15) for p in on if p.claim_id and p.stance}
    rest = [p for p in on if id(p) not in heard]
    probs = predict_stance(motion.text, [p.span for p in rest]) if rest else []
    p_side = {id(p): (st.pro if side == "pro" else 1.0 - st.pro) for p, st in zip(rest, probs, strict=True)}
    p_side.update(heard)

    def for_side(p) -> float:
        ps = p_side.get(id(p), 0.5)
        return max(ps, 0.55) if p.kind == "attack" else ps

    side_share = sum(mass(p) * for_side(p) for p in on) / on_mass if on_mass else 0.0
    side_score = _lin(side_share, SIDE_LOW, SIDE_HIGH)
    declared = declared_side(text)
    if declared == side:
        side_score = max(side_score, 0.8)
    elif declared is not None:
        side_score = min(side_score, 0.2)
    relevance = topical * (0.45 + 0.55 * side_score)
    nothing_on_topic = not on and not whole.on_topic
    off_topic = nothing_on_topic and not DEBATE_WORDS.search(text)
    stance_word = "for" if side == "pro" else "against"
    if off_topic:
        flags.append("off-topic")
        relevance = min(relevance, 0.05)
        rel_reason = "off-topic: nothing in the speech is about the article or the motion"
    elif nothing_on_topic:
        relevance = min(max(relevance, 0.15), 0.2)
        rel_reason = "generic: it addresses the motion but makes no point the article's debate is about"
    else:
        argued = sum(1 for p in on if for_side(p) >= 0.5)
        rel_reason = (f"{len(on)} of {_plural(len(points), 'point')} are about the motion; "
                      f"{argued} argue {stance_word} it")
        if declared is not None and declared != side:
            rel_reason += f" (but the speech declares for the other side: {'for' if declared == 'pro' else 'against'} the motion)"
        elif on and side_score < 0.3:
            rel_reason += " (the points made support the other side)"

    # ------------------------------------------------------------ evidence
    copied = copy_ratio(text, index.article_grams)
    verbatim = [q for q in quotes if q.in_article]
    opp_norm = normalise_quote(opponent_text) if has_opp else ""
    # quoting the opponent is engagement, not evidence: neither credited nor charged here
    bad_quotes = [q for q in quotes if not q.in_article and normalise_quote(q.text).strip(" .,;:!?") not in opp_norm]
    quoted_norm = [normalise_quote(q.text).strip(" .,;:!?") for q in verbatim]
    para_refs = {int(m.group(2)) for m in _PARA_REF.finditer(text)}
    para_refs = {p for p in para_refs if 0 <= p < len(index.article.paragraphs)}
    sidx = index.sentence_index
    by_key = {str(s.index): s for s in index.body}
    quoted_sents: set[str] = set()
    for qn in quoted_norm:
        for s in index.body:
            if qn and qn[:60] in normalise_quote(s.text):
                quoted_sents.add(str(s.index))
    paraphrased: dict[str, float] = {}
    for p in on:
        span = own_words[p.start:p.end]
        if len(_WORD.findall(span)) < 4:
            continue
        sc = sidx.scores(span)
        j = int(sc.argmax())
        key = str(sidx.uniq[j])
        if sc[j] >= PARAPHRASE and key not in quoted_sents:
            paraphrased[key] = max(paraphrased.get(key, 0.0), float(sc[j]))
    distinct_quotes = len(set(quoted_norm))
    units = distinct_quotes + 0.7 * len(paraphrased) + 0.2 * min(len(para_refs), 3)
    evidence = 1.0 - 0.5 ** units
    evidence = max(0.0, evidence - 0.08 * len(bad_quotes))
    paras = sorted({by_key[k].paragraph for k in paraphrased if k in by_key})
    ev_reason = (f"{_plural(distinct_quotes, 'verbatim quote')} from the article, "
                 f"{_plural(len(paraphrased), 'close paraphrase')} of article sentences"
                 + (f" (paragraphs {', '.join(map(str, paras[:6]))})" if paras else ""))
    if bad_quotes:
        ev_reason += f"; {_plural(len(bad_quotes), 'quote')} not found in the article"
    copy_paste = copied >= 0.6 and n_words >= 15
    if copy_paste:
        flags.append("copy-paste")
        evidence = min(evidence, 0.1)
        ev_reason = f"copy-paste: {copied:.0%} of the speech is copied word for word from the article, not argued"

    # ------------------------------------------------------------ analysis (own words only)
    # the speaker's own words: no quotes, no restating the motion
    argued = re.sub(re.escape(motion.text), " ", own_words, flags=re.I)
    own_sents = [argued[s:e] for s, e in split_sentences(argued)] or [argued]
    own_sents = [s for s in own_sents if len(_WORD.findall(s)) >= 4]
    on_spans = [(p.start, p.end) for p in on]

    def on_topic_at(s: str) -> bool:
        at = argued.find(s)
        return any(a < at + len(s) and at < b for a, b in on_spans)

    own_sents = [s for s in own_sents if on_topic_at(s)]
    reasoned = [s for s in own_sents if REASON.search(s)]
    impacts = [s for s in own_sents if IMPACT.search(s)]
    weighing = [s for s in own_sents if WEIGHING.search(s)]
    quoted_words = sum(len(_WORD.findall(q.text)) for q in quotes)
    quote_share = quoted_words / max(1, n_words)
    if own_sents:
        # per sentence: a reason or consequence, weighing, an impact; then how dense and how much
        values = [min(1.0, 0.6 * bool(REASON.search(s)) + 0.5 * bool(WEIGHING.search(s)) + 0.3 * bool(IMPACT.search(s)))
                  for s in own_sents]
        analysis = 0.5 * min(1.0, float(np.mean(values)) / 0.45) + 0.5 * min(1.0, sum(values) / 3)
    else:
        analysis = 0.0
    analysis *= 1.0 - max(0.0, quote_share - 0.35) * 1.3
    analysis = max(0.0, min(1.0, analysis))
    an_reason = (f"{len(reasoned)} of {_plural(len(own_sents), 'sentence')} in the speaker's own words give a "
                 f"reason or consequence; {len(weighing)} weigh or compare, {_plural(len(impacts), 'impact')}")
    if quote_share > 0.35:
        an_reason += f"; {quote_share:.0%} of the words are quotes read out"
    if copy_paste:
        analysis = min(analysis, 0.1)

    # ------------------------------------------------------------ engagement (by listening)
    pairs: list = []
    opp_hearing: Hearing | None = None
    if has_opp:
        opp_hearing = listen(index, opponent_text, motion.id, other_side(side))
        pairs = answered_points(index, case_points(opp_hearing, opponent_text, motion.text), case, other_side(side))
        refs = len(OPPONENT_REF.findall(own_words))
        if pairs:
            total_w = sum(p.weight for p, _ in pairs) or 1.0
            got = sum(p.weight for p, q in pairs if q is not None)
            engagement = 0.85 * got / total_w + 0.15 * min(1, refs)
            n_ans = sum(1 for _, q in pairs if q is not None)
            eng_reason = f"answers {n_ans} of the {_plural(len(pairs), 'point')} the opponent made"
        else:
            engagement = 0.5 * min(1, refs) + (0.3 if case else 0.0)
            eng_reason = "the opponent made no point on the motion to answer; judged on direct response"
        if refs:
            eng_reason += f"; refers to the opponent {refs} time{'s' if refs > 1 else ''}"
    else:
        engagement = 0.5
        eng_reason = "no opponent speech to answer (not counted in the total)"
    if copy_paste:
        engagement = min(engagement, 0.1)

    # ------------------------------------------------------------ structure
    ratio = n_words / budget
    if ratio < 0.7:
        length = _lin(ratio, 0.05, 0.7)
    elif ratio <= 1.15:
        length = 1.0
    else:
        length = max(0.0, 1 - (ratio - 1.15) / 0.85)
    signposts = len(SIGNPOSTS.findall(text))
    n_sents = len(split_sentences(text)) or 1
    ends = bool(CONCLUSION.search(text[-max(200, len(text) // 4):]))
    structure = 0.55 * length + 0.25 * min(1.0, signposts / 3) + 0.1 * min(1.0, n_sents / 4) + 0.1 * ends
    if n_words < 60:  # a short speech needs no roadmap: judge it on length and a clear end
        structure = max(structure, 0.55 * length + 0.2 + 0.1 * ends)
    st_reason = (f"{n_words} words for a {seconds}-second speech (about {budget} fit); "
                 f"{_plural(signposts, 'signpost')}, {_plural(n_sents, 'sentence')}"
                 + ("; ends with a conclusion" if ends else ""))
    if copy_paste:
        structure = min(structure, 0.2)

    crit = {
        "relevance": Criterion(round(relevance, 3), rel_reason),
        "evidence": Criterion(round(evidence, 3), ev_reason),
        "analysis": Criterion(round(analysis, 3), an_reason),
        "engagement": Criterion(round(engagement, 3), eng_reason),
        "structure": Criterion(round(min(1.0, structure), 3), st_reason),
    }

    # ------------------------------------------------------------ tips
    tips = _tips(index, motion, side, text, crit, hearing, pairs, quoted_norm, has_opp, off_topic, copy_paste,
                 n_words, budget, seconds, ratio)
    cap = None
    if off_topic:
        cap = 0.04
    if copy_paste:
        cap = 0.05 if cap is None else min(cap, 0.05)
    return result(crit, tips, flags, cap=cap)


def _fresh_claims(index: ArticleIndex, motion: Motion, side: str, hearing: Hearing) -> list[Claim]:
    """The speaker's own side's claims on this motion that the speech has not made yet."""
    made = {p.claim_id for p in hearing.points if p.claim_id}
    made |= {m.claim_id for m in hearing.claims if m.mentioned and m.claim_id}
    own = index.pack.claims_for(motion.id, side)
    return [c for c in own if c.id not in made]


def _tips(index: ArticleIndex, motion: Motion, side: str, text: str, crit: dict[str, Criterion], hearing: Hearing,
          pairs: list, quoted_norm: list[str], has_opp: bool, off_topic: bool, copy_paste: bool, n_words: int,
          budget: int, seconds: int, ratio: float) -> list[str]:
    """Two or three concrete tips: never a quote already used, never the other side's point."""
    names = index.names
    text_norm = normalise_quote(text)
    fresh = _fresh_claims(index, motion, side, hearing)

    def unused_quote(c: Claim):
        for e in c.evidence:
            q = normalise_quote(e.quote).strip(" .,;:!?")
            if q[:60] not in text_norm and not any(q[:40] in u or u[:40] in q for u in quoted_norm):
                return e
        return None

    tips: list[str] = []
    if copy_paste:
        tips.append("Don't read the article out: make the argument in your own words and quote only the one line "
                    "that proves it.")
    if off_topic:
        example = f": for example, argue that {lc_first(fresh[0].text, names)}" if fresh else ""
        tips.append(f"Stay on the motion “{motion.text}”{example}")
    order = sorted((k for k in crit if has_opp or k != "engagement"), key=lambda k: crit[k].score)
    for k in order:
        if len(tips) >= 3 or crit[k].score >= 0.85:
            continue
        if k == "relevance" and not off_topic:
            if fresh and "support the other side" in crit[k].reason:
                tips.append(f"Your points help the other side; argue your own, e.g. {lc_first(fresh[0].text, names)}")
            elif fresh:
                tips.append(f"Tie every point to the motion; a point for your side you didn't make: "
                            f"{lc_first(fresh[0].text, names)}")
            else:
                tips.append("Tie every point to the motion: say in one line how it shows your side is right.")
        elif k == "evidence" and not copy_paste:
            pick = next(((c, e) for c in fresh for e in [unused_quote(c)] if e is not None), None)
            if pick is None:  # every fresh claim's quotes are used: any own-side quote not yet used
                pick = next(((c, e) for c in index.pack.claims_for(motion.id, side) for e in [unused_quote(c)]
                             if e is not None), None)
            if pick:
                c, e = pick
                tips.append(f"Back your point with the article, e.g. quote “{e.quote}” (paragraph {e.paragraph}).")
            else:
                tips.append("Quote the article word for word for each point, with its paragraph number.")
        elif k == "analysis" and not copy_paste:
            tips.append("Explain, don't just assert or quote: after each point say why it is true ('because…'), "
                        "what follows ('which means…'), and why it outweighs their case.")
        elif k == "engagement" and has_opp and not copy_paste:
            missed = [p for p, q in pairs if q is None]
            missed.sort(key=lambda p: -p.weight)
            tip = None
            for p in missed:
                replies = [c for c in index.pack.answers(p.claim_id) if c.motion == motion.id and c.side == side] \
                    if p.claim_id and p.kind == "own" else []
                if replies:
                    tip = (f"Answer their point “{_short(p.span)}”; the article gives your side: "
                           f"{lc_first(replies[0].text, names)}")
                else:
                    tip = f"Answer their point “{_short(p.span)}”: say why it is wrong or why it matters less."
                break
            tips.append(tip or "Name the opponent's strongest point and say why it fails before adding your own.")
        elif k == "structure":
            if ratio < 0.7:
                tips.append(f"Use your time: {n_words} words of about {budget}; add a point with a reason and a quote.")
            elif ratio > 1.15:
                tips.append(f"Cut to about {budget} words so you finish within {seconds} seconds.")
            else:
                tips.append("Signpost your case: 'First…, Second…, Finally…', and end with why your side wins.")
    extra = []
    if "ends with a conclusion" not in crit["structure"].reason:
        extra.append("Finish with a one-line summary of why your side wins the debate.")
    if fresh:
        extra.append(f"A further point for your side, if you have time: {lc_first(fresh[0].text, names)}")
    extra.append("Rank your points: lead with the one that outweighs the rest, and say why it does.")
    for t in extra:
        if len(tips) >= 2:
            break
        if t not in tips:
            tips.append(t)
    return tips

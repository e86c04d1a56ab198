"""Motions from an article's thesis: its title, lede and conclusion, worded as debate resolutions.

The forms are the usual ones: "This house would <verb> …", "This house believes that <clause>",
"This house supports <noun phrase>", "This house opposes <noun phrase>". A candidate is kept only when
it is short, whole (never a sentence cut at N words) and grammatical by `motion_problem`'s checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .article import Article
from .claims import reported_view, strip_connective, words
from .matcher import STOPWORDS

MAX_WORDS = 22
MOTION_LEAD = re.compile(r"^\s*this house\s+(?:would|believes?\s+that|supports?|opposes?|regrets?|prefers?)\s+", re.I)

_POLICY_VERBS = ("ban", "introduce", "approve", "pass", "adopt", "raise", "cut", "scrap", "abolish", "legalise",
                 "legalize", "require", "allow", "end", "launch", "impose", "lift", "extend", "restrict", "limit",
                 "mandate", "reject", "back", "criminalise", "criminalize", "decriminalise", "decriminalize", "tax",
                 "fund", "subsidise", "subsidize", "privatise", "privatize", "nationalise", "nationalize", "outlaw",
                 "expand", "reduce", "increase", "protect", "replace", "regulate", "prohibit", "enforce", "rethink",
                 "suspend", "reform", "build", "close", "stop", "make", "give", "let", "keep", "help", "pay",
                 "lower", "cap", "freeze", "drop", "phase", "embrace", "welcome", "support", "oppose", "invest",
                 "double", "halve", "triple", "move", "switch", "adopt", "charge", "ditch", "axe")
_VERB_S = {v + ("es" if v.endswith(("s", "sh", "ch", "x", "z")) else "s"): v for v in _POLICY_VERBS}
_VERB_S.update({"legalises": "legalise", "legalizes": "legalize", "taxes": "tax", "passes": "pass"})
_MODAL_CLAUSE = re.compile(r"\b(should|must|ought to|needs? to|has to|have to)\b", re.I)
# "we / the government should X" is the house's own policy: "This house would X" (other actors keep their names)
_WE_SHOULD = re.compile(r"^(?:we|you|governments?|the government|society|the state)\s+"
                        r"(?:should|must|ought to|need to|have to)\s+(?:now\s+|also\s+|all\s+)?(?P<vp>.+)$", re.I)
_EVALUATIVE = re.compile(r"\b(?:is|are|was|would be|will be)\s+(?:not\s+)?(?:a\s+|an\s+)?(?:\w+\s+)?"
                         r"(?:mistake|failure|success|right|wrong|good|bad|better|worse|best|dangerous|necessary|"
                         r"harmful|beneficial|unfair|fair|justified|unjustified|essential|effective|ineffective|"
                         r"worth\w*|overdue|misguided|error|victory|disaster|needed|unfair|unaffordable)\b", re.I)
_CASE_FOR = re.compile(r"^(?:the\s+case\s+for|in\s+(?:defen[cs]e|praise)\s+of|why\s+(?:we|you)\s+(?:need|want)|"
                       r"yes\s+to|a\s+vote\s+for|three\s+cheers\s+for)\s+(?P<np>.+)$", re.I)
_CASE_AGAINST = re.compile(r"^(?:the\s+case\s+against|against|no\s+to|the\s+trouble\s+with|the\s+problem\s+with|"
                           r"what's\s+wrong\s+with|what’s\s+wrong\s+with)\s+(?P<np>.+)$", re.I)
_QUESTION = re.compile(r"^(?:should|must)\s+(?P<subj>.+?)\s+(?P<vp>(?:" + "|".join(_POLICY_VERBS) + r")\b.*)$", re.I)
_WHY_SHOULD = re.compile(r"^why\s+(?P<subj>.+?)\s+(?P<modal>should|must|needs? to)\s+(?P<vp>.+)$", re.I)
_CONCEDES = re.compile(r"^(?:of course|sure|admittedly|granted|to be sure|it is true|it[’']s true|true,|yes,)", re.I)
_POLICY_NOUN = re.compile(r"\b(policy|plan|bill|act|strategy|rules|proposal|law|regulation|guidance|charter|"
                          r"code of conduct|framework|scheme|standard)\b", re.I)
_PRONOUN_AFTER = re.compile(r"^(?:it|he|she|they|this|that|these|those|his|her|their|its|them)\b", re.I)
_BAD_END = frozenset(["the", "a", "an", "of", "to", "and", "or", "but", "in", "on", "at", "by", "for", "with", "from", "as", "that", "this", "which", "who", "because", "if", "than", "so", "towards", "toward", "into", "onto", "about", "over", "under", "through", "like", "before", "after", "between", "without", "against", "including", "its", "their", "his", "her", "our", "my", "your"])


@dataclass(frozen=True)
class MotionCandidate:
    """A drafted motion and where it came from ("title", "lede", "conclusion", "body", "given")."""

    text: str
    origin: str


_SMALL = frozenset(["a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "but", "with", "at", "by", "from", "as", "is", "are", "be", "should", "must", "would", "will", "can", "why", "how", "what", "this", "that", "every", "several", "few", "most", "many", "no", "none", "both", "either", "neither", "another", "such"])


def _keeps_capital(word: str, names: frozenset[str], lower: frozenset[str], *, strict: bool = False) -> bool:
    """True for a name or acronym: a word the article writes capitalised mid-sentence (or never in lower case)."""
    w = word.strip(",.;:!?")
    base = re.sub(r"[’']s$", "", w)
    if w in names or base in names or w.isupper() or (len(w) > 1 and w[1].isupper()):
        return True
    if strict or w.lower().endswith("s") or w.lower() in STOPWORDS:
        return False  # plurals ("Cities", "Hospitals") and function words ("Any") are not names
    return w.lower() not in lower and w.lower() not in _SMALL and base.lower() not in lower


def _sentence_case(text: str, names: frozenset[str], lower: frozenset[str] = frozenset()) -> str:
    """Title Case -> sentence case, keeping names and acronyms."""
    ws = text.split()
    if len(ws) >= 3 and sum(w[:1].isupper() for w in ws) / len(ws) > 0.6:
        # in a title every word is capitalised: only names (capitalised mid-sentence in the text) and acronyms keep it
        return " ".join(w if (i == 0 or _keeps_capital(w, names, frozenset(), strict=True)) else w.lower()
                        for i, w in enumerate(ws))
    return text


def _lower_first(text: str, names: frozenset[str], lower: frozenset[str] = frozenset()) -> str:
    """Lower-case the first word unless it is a name or an acronym."""
    first = text.split(" ", 1)[0]
    if lower and _keeps_capital(first, names, lower):
        return text
    first = first.strip(",.;:")
    if first in names or first.rstrip("’s'") in names or first.isupper() or (len(first) > 1 and first[1].isupper()):
        return text
    return text[:1].lower() + text[1:]


def _clean(text: str) -> str:
    t = re.sub(r"[“”\"]", "", text).strip()
    t = re.sub(r"\s+", " ", t)
    return t.rstrip(" .!;:,")


def _main_clause(text: str) -> str:
    """The clause before a reason or aside ("X should Y because Z" -> "X should Y")."""
    t = re.split(r"\s*(?:;|\s—\s|\s–\s|\s-\s|,?\s+because\s+|,?\s+since\s+|,?\s+when\s+|,?\s+unless\s+|"
                 r",?\s+if\s+|,\s+(?:but|which|although|though|while|as|so|and|and\s+that)\s+|\s+\((?!.*\)))",
                 text, maxsplit=1)[0]
    return t.strip()


def motion_problem(text: str) -> str | None:
    """Why a motion's wording is unusable (None when it reads as a whole resolution)."""
    t = text.strip()
    m = MOTION_LEAD.match(t)
    if not m:
        return "does not start 'This house would / believes that / supports / opposes'"
    rest = t[m.end():]
    ws = words(rest)
    if len(ws) < 2:
        return "too short"
    if len(words(t)) > MAX_WORDS + 4:
        return f"too long ({len(words(t))} words; a motion is a short resolution)"
    if "…" in t or "..." in t or re.search(r"[“”\"]", t):
        return "truncated or quoted"
    if ws[-1].lower() in _BAD_END:
        return f"ends on {ws[-1]!r} (cut short)"
    if _PRONOUN_AFTER.match(rest) or re.search(r"\b(?:them|him|these|those|he|she)\b", rest, re.I):
        return "has a pronoun that points nowhere"
    if t.count("(") != t.count(")"):
        return "unbalanced brackets"
    if re.search(r"\b(?:I|me|my|we|our|us)\b", rest) and not re.search(r"\bwe\b", rest[:3], re.I):
        return "speaks in the first person"
    if "believe" in t[:25].lower() and not re.search(
            r"\b(is|are|was|were|be|been|has|have|had|should|must|would|will|can|could|may|might|does|do|did|"
            r"need|needs|ought|works?|fails?|\w+s)\b", rest):
        return "'believes that' needs a clause with a verb"
    return None


def _as_motion(sentence: str, names: frozenset[str], lower: frozenset[str] = frozenset()) -> str | None:
    """One sentence of the article as a resolution, or None when it does not make one."""
    if _CONCEDES.match(sentence.strip()):
        return None  # a concession states the other side's point, not the article's thesis
    rep = reported_view(sentence)
    t = _clean(rep.clause if rep else strip_connective(sentence))
    head, colon, tail = t.partition(":")
    if colon and len(words(head)) <= 4 and len(words(tail)) >= 4:  # "Let's be clear: X" -> "X"
        t = tail.strip()
    t = _main_clause(t)
    m = _WE_SHOULD.match(t)
    if m:
        return f"This house would {_lower_first(m.group('vp'), names, lower)}"
    if _MODAL_CLAUSE.search(t) or _EVALUATIVE.search(t):
        return f"This house believes that {_lower_first(t, names, lower)}"
    return None


def _from_title(title: str, names: frozenset[str], lower: frozenset[str] = frozenset()) -> str | None:
    """The title as a resolution: 'The case for X', 'Should X ban Y?', 'X bans Y', 'Ban Y', 'X should Y'."""
    t = _clean(_sentence_case(title, names, lower))
    t = re.split(r"\s[|–—]\s", t)[0].strip()
    if ":" in t:
        a, _, b = t.partition(":")
        t = b.strip() if len(words(b)) >= 3 else a.strip()
    t = t.rstrip("?").strip()
    m = _CASE_FOR.match(t)
    if m:
        return f"This house supports {_lower_first(m.group('np'), names, lower)}"
    m = _CASE_AGAINST.match(t)
    if m:
        return f"This house opposes {_lower_first(m.group('np'), names, lower)}"
    m = _QUESTION.match(t)
    if m:
        return f"This house believes that {_lower_first(m.group('subj'), names, lower)} should {m.group('vp')}"
    m = _WHY_SHOULD.match(t)
    if m:
        return f"This house believes that {_lower_first(m.group('subj'), names, lower)} {m.group('modal')} {m.group('vp')}"
    ws = t.split()
    if ws and ws[0].lower() in _POLICY_VERBS:  # "Ban smoking in cars"
        return f"This house would {t[:1].lower() + t[1:]}"
    for i, w in enumerate(ws[1:5], start=1):  # "Scotland bans smoking in cars" -> would ban smoking in cars
        base = _VERB_S.get(w.lower())
        if base and i < len(ws) - 1:
            return f"This house would {base} {' '.join(ws[i + 1:])}"
        if w.lower() in ("to", "will", "plans", "votes", "moves") and i + 1 < len(ws):
            nxt = ws[i + 1].lower()
            j = i + 2 if nxt == "to" and i + 2 < len(ws) else i + 1
            verb = ws[j].lower()
            if verb in _POLICY_VERBS and j < len(ws) - 1:  # "UK to ban …", "EU votes to ban …"
                return f"This house would {verb} {' '.join(ws[j + 1:])}"
    return _as_motion(t + ".", names, lower)


def candidates(article: Article, names: frozenset[str], body: list | None = None) -> list[MotionCandidate]:
    """Resolutions drafted from the title, the lede (first two body paragraphs), the conclusion, then the body."""
    out: list[MotionCandidate] = []
    seen: set[str] = set()

    def add(text: str | None, origin: str) -> None:
        if not text:
            return
        text = re.sub(r"\s+", " ", text).strip().rstrip(".")
        if len(words(text)) > MAX_WORDS or motion_problem(text):
            return
        key = text.lower()
        if key not in seen:
            seen.add(key)
            out.append(MotionCandidate(text, origin))

    lower = frozenset(re.findall(r"\b[a-z][a-z’'-]*\b", article.text))
    add(_from_title(article.title, names, lower), "title")
    add(_policy_title(article.title, names, lower), "title")
    sents = body if body is not None else [s for s in article.sentences if not article.is_heading(s.paragraph)]
    if not sents:
        return out
    paras = sorted({s.paragraph for s in sents})
    lede = set(paras[:2])
    concl = set(paras[-2:])
    # a sentence that carries on a concession ("Of course, … Hospitals must stay open") is the other side's point
    conceding = {s.index for prev, s in zip(sents, sents[1:], strict=False)
                 if prev.paragraph == s.paragraph and _CONCEDES.match(prev.text.strip())}
    for origin, pick in (("lede", lede), ("conclusion", concl)):
        for s in sents:
            if s.paragraph in pick and s.index not in conceding:
                add(_as_motion(s.text, names, lower), origin)
    for s in sents:
        if s.paragraph not in lede | concl and s.index not in conceding:
            add(_as_motion(s.text, names, lower), "body")
    return out


def noun_phrase_title(title: str) -> bool:
    """True when a short title names a policy without a verb ("Minimum pricing for alcohol")."""
    ws = [w.lower().strip(",.:;!?") for w in title.split()]
    verbs = set(_VERB_S) | set(_POLICY_VERBS) | {"is", "are", "was", "were", "will", "votes", "says", "said", "has"}
    return 2 <= len(ws) <= 8 and not verbs & set(ws)


def _policy_title(title: str, names: frozenset[str], lower: frozenset[str]) -> str | None:
    """A policy document's title as 'This house supports the policy of …' (its own name for itself)."""
    for part in re.split(r"\s*[:|–—]\s*", _clean(_sentence_case(title, names, lower))):
        if _POLICY_NOUN.search(part) and 2 <= len(words(part)) <= 12:
            np_ = _lower_first(part, names, lower)
            if not re.match(r"^(?:the|a|an|this|our|its|their)\b", np_, re.I) and not np_[:1].isupper():
                np_ = "the " + np_
            return f"This house supports {np_}"
    return None

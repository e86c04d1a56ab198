"""What a motion is about and which way it leans: its target and its polarity toward that target.

"This house would ban human cloning" is about *human cloning* and leans against it (-1);
"We should subsidize journalism" is about *subsidize journalism* and leans for it (+1);
"This house believes that advertising is harmful" is about *advertising*, against (-1).

The stance model reads (target, text) and says whether the text speaks well of the target; a text's
stance toward the motion is that, flipped when the motion leans against its target. Splitting the
two follows IBM's claim-stance work (Bar-Haim et al., 2017: stance = the claim's sentiment toward
its target x the motion's sentiment toward it). This module is plain rules over words, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The debate framing before the proposition ("This house believes that", "We should", "THW").
_FRAME = re.compile(
    r"^\s*(?:(?:this|the)\s+house\b|we\b|i\b|you\b)?\s*"
    r"(?:(?:would|should|will|must|ought\s+to|believes?|thinks?|supports?|prefers?|proposes?)\b\s*)?"
    r"(?:that\s+)?",
    re.I,
)
_SHORT_FRAME = re.compile(r"^\s*th(?:w|bt|bs|r|p|s)\b\s*(?:that\s+)?", re.I)
_SHORT_VERB = {"thw": "", "thbt": "", "thbs": "", "thr": "regret ", "thp": "", "ths": ""}

# Verbs or words that, placed before a target, turn the motion against it ("ban X", "not X").
_AGAINST = (
    r"not|never|no\s+longer|no|cannot|can't|won't|shouldn't|against|oppose[sd]?|opposing|"
    r"reject(?:s|ed|ing)?|regret(?:s|ted)?|ban(?:s|ned|ning)?|abolish(?:es|ed|ing)?|abolition\s+of|"
    r"prohibit(?:s|ed|ing)?|prohibition\s+of|forbid(?:s|ding)?|outlaw(?:s|ed|ing)?|criminali[sz](?:e|es|ed|ing)|"
    r"restrict(?:s|ed|ing)?|limit(?:s|ed|ing)?|cap(?:s|ped|ping)?|curb(?:s|ed|ing)?|reduce[sd]?|reducing|"
    r"cut(?:s|ting)?(?:\s+back(?:\s+on)?)?|scrap(?:s|ped|ping)?|end(?:s|ed|ing)?|stop(?:s|ped|ping)?|"
    r"disband(?:s|ed|ing)?|dismantle[sd]?|dismantling|close[sd]?|closing|shut(?:ting)?\s+down|"
    r"abandon(?:s|ed|ing)?|phase[sd]?\s+out|phasing\s+out|eliminate[sd]?|eliminating|boycott(?:s|ed|ing)?|"
    r"withdraw(?:s|ing)?\s+from|leave|leaving|quit|fight(?:ing)?(?:\s+against)?|"
    r"penali[sz]e[sd]?|condemn(?:s|ed|ing)?|lower(?:s|ed|ing)?|decrease[sd]?|deny|denies|denying|"
    r"remove[sd]?|removing|repeal(?:s|ed|ing)?|discourage[sd]?|discouraging|punish(?:es|ed|ing)?|"
    r"suspend(?:s|ed|ing)?|halt(?:s|ed|ing)?|block(?:s|ed|ing)?|prevent(?:s|ed|ing)?|resist(?:s|ed|ing)?"
)
# Predicates after a target ("X is harmful", "X should be banned"), against or for it.
_PRED_AGAINST = (
    r"harmful|bad|wrong|dangerous|unjust(?:ified)?|immoral|unethical|illegitimate|a\s+mistake|a\s+failure|"
    r"a\s+threat|a\s+disaster|overrated|counterproductive|undemocratic|illegal|a\s+(?:criminal\s+)?(?:offence|offense|crime)|"
    r"criminal|(?:does|do)\s+more\s+harm\s+than\s+good|(?:has|have)\s+failed|failed|"
    r"banned|abolished|prohibited|forbidden|outlawed|criminali[sz]ed|restricted|limited|scrapped|ended|"
    r"stopped|abandoned|closed|eliminated|phased\s+out|discouraged|opposed|rejected|condemned|repealed|punished|lifted|dropped|"
    r"reduced|lowered|removed|cut|regretted"
)
_PRED_FOR = (
    r"justified|justifiable|right|good|beneficial|necessary|desirable|essential|legitimate|moral|ethical|"
    r"the\s+(?:best|most\s+\w+)|better|effective|worth\s+it|worthwhile|a\s+(?:good|net)\s+\w+|a\s+success|"
    r"(?:does|do)\s+more\s+good\s+than\s+harm|mandatory|compulsory|legal|legali[sz]ed|allowed|permitted|"
    r"encouraged|subsidi[sz]ed|funded|supported|promoted|welcomed?|required|protected|a\s+right|entitled"
)
_COPULA = (r"(?:is|are|was|were|has\s+been|have\s+been|should\s+be|must\s+be|ought\s+to\s+be|would\s+be|"
           r"will\s+be|can\s+be|be|being)")
_ADVERBS = r"(?:(?:not|never|now|sometimes|often|always|more|largely|mostly|too|very|deeply|inherently|" \
           r"ultimately|generally|morally|clearly|ever|usually|actually)\s+)*"
_PREDICATE = re.compile(rf"\s+(?:{_COPULA}\s+(?P<adverbs>{_ADVERBS})|(?=(?:does|do|has|have|failed)\b))(?:(?P<against>{_PRED_AGAINST})|(?P<for>{_PRED_FOR}))\b", re.I)
# "X should continue", "X must end": a modal and a verb that keeps or ends the target
_MODAL_PREDICATE = re.compile(
    r"\s+(?:should|must|ought\s+to|will|would|can|shall|need\s+to)\s+(?P<neg>(?:not|never|no\s+longer)\s+)?"
    r"(?:(?P<for>continue|go\s+on|carry\s+on|stay|remain|persist|survive|succeed|prevail|be\s+kept|be\s+maintained|"
    r"be\s+expanded|be\s+extended|be\s+renewed)|(?P<against>end|stop|cease|fail|be\s+dropped|be\s+ended|be\s+stopped))\b",
    re.I,
)
_LEAD_AGAINST = re.compile(rf"^(?:(?:{_AGAINST})\b\s*)", re.I)
# Words after which a new verb phrase starts, so a cue there still governs the target.
_VERB_SLOT = re.compile(r"^(?:(?:to|in|by|should|would|must|will|can|shall|be|being)\s+)+", re.I)
_NEUTRAL_LEAD = re.compile(r"^(?:fight(?:ing)?\s+for|work(?:ing)?\s+towards?|push(?:ing)?\s+for|call(?:ing)?\s+for|"
                           r"support(?:ing)?|favou?r(?:ing)?|(?:be\s+)?in\s+favou?r\s+of)\s+(?:the\s+)?", re.I)
_SUBJECT_MODAL = re.compile(r"^(?:[\w'-]+\s+){1,6}?(?:should|would|must|will|shall|ought\s+to|need\s+to|has\s+to|have\s+to)\s+",
                            re.I)
_SUBJECT_TO = re.compile(r"^(?:for\s+[^,]{1,60}?\s+)?to\s+", re.I)


@dataclass(frozen=True)
class MotionFrame:
    """A motion's target and which way the motion leans toward it (+1 for, -1 against)."""

    target: str
    polarity: int


def _clean(text: str) -> str:
    """Trim punctuation and empty words left at the edges of a target."""
    text = re.sub(r"^[\s,;:.\-]+|[\s,;:.!?\-]+$", "", text)
    text = re.sub(r"^(?:(?:the\s+use\s+of|use\s+of|the|a|an|to|in|on|of|for)\s+)+", "", text, flags=re.I)
    return text.strip()


def _strip_frame(text: str) -> str:
    """The proposition without "This house would", "We should", "THBT" and the like."""
    m = _SHORT_FRAME.match(text)
    if m:
        word = text[: m.end()].split()[0].lower()
        return _SHORT_VERB.get(word, "") + text[m.end():]
    return _FRAME.sub("", text, count=1)


def _lead_cues(body: str) -> tuple[str, int]:
    """Peel cues off the front of a verb phrase ("not ban X" -> X, +1); the rest and the polarity."""
    polarity = 1
    while True:
        body = _VERB_SLOT.sub("", body)
        lead = _NEUTRAL_LEAD.match(body)
        if lead:
            body = body[lead.end():]
            continue
        m = _LEAD_AGAINST.match(body)
        if not m:
            return body, polarity
        polarity = -polarity
        body = body[m.end():]


def motion_frame(motion: str) -> MotionFrame:
    """The motion's target and polarity: which thing it is about, and whether it is for or against it."""
    text = " ".join(str(motion).split()).rstrip(".!?")
    body = _strip_frame(text) or text
    modal = _MODAL_PREDICATE.search(body)
    if modal and _clean(body[: modal.start()]) and not _clean(body[modal.end():]):
        polarity = (-1 if modal.group("against") else 1) * (-1 if modal.group("neg") else 1)
        head_target, head_pol = _lead_cues(body[: modal.start()].strip())
        return MotionFrame(_clean(head_target) or text, polarity * head_pol)
    m = _PREDICATE.search(body)
    if m and _clean(body[: m.start()]):
        head, rest = body[: m.start()], body[m.end():]
        polarity = -1 if m.group("against") else 1
        if re.search(r"\b(?:not|never)\b", m.group("adverbs") or "", re.I):
            polarity = -polarity
        # "it is right for the government to restrict X", "the Church is justified in forbidding X"
        tail = _SUBJECT_TO.sub("", rest.strip(), count=1)
        if head.strip().lower() in {"it", "this", "that"} or re.match(r"^\s*(?:in|to|for)\b", rest, re.I):
            inner, inner_pol = _lead_cues(tail.strip())
            if inner_pol < 0 or head.strip().lower() in {"it", "this", "that"}:
                return MotionFrame(_clean(inner) or _clean(tail) or text, polarity * inner_pol)
        head_target, head_pol = _lead_cues(head.strip())
        return MotionFrame(_clean(head_target) or _clean(head) or text, polarity * head_pol)
    target, polarity = _lead_cues(body.strip())
    subject = _SUBJECT_MODAL.match(body)
    if polarity > 0 and subject:  # "states should not subsidize X": the cue follows a subject and a modal
        inner, inner_pol = _lead_cues(body[subject.end():])
        if inner_pol < 0:
            target, polarity = inner, inner_pol
    return MotionFrame(_clean(target) or _clean(body) or text, polarity)

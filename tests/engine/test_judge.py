"""The fair judge (issue 9, item 7): relevance from the stance and topic models, evidence in any
quotation marks, analysis, engagement by listening, tips that fit the speaker, the non-English note,
and the clash that round results weigh.

The human speeches below were written for these tests by hand, before looking at how the judge
scores them, on the seed article's motions. Each answers the opponent speech given with it.
"""

from __future__ import annotations

import pytest

from bot.engine.clash import weigh_clash
from bot.engine.index import normalise_quote

CLOSING = ("In closing, keep talking: the moratorium and the calmer peninsula are gains that walking away would "
           "throw away.")
PIZZA = ("Pizza is the best food in the world. Football is a great sport and everyone should watch the World "
         "Cup. My favourite team is very good this season, so I will buy a new shirt.")

# (motion, side, the opponent's speech, a strong human speech answering it)
HUMAN = {
    "diplomacy-pro": (
        "diplomacy", "pro",
        "The summits achieved nothing. Kim cannot be trusted, and Trump gave him prestige for free.",
        "My opponent says the summits achieved nothing. That is simply wrong, and the article shows why. First, "
        "look at what has actually changed: 'Pyongyang remains committed to a moratorium on nuclear and missile "
        "tests.' No tests means no new warheads proven and no missiles flying over Japan, which means the risk of "
        "a war that would kill millions is lower today than in 2017, when the two leaders traded threats. That gain "
        "matters more than any photo opportunity. Second, they say Kim cannot be trusted. Fine: we don't need to "
        "trust him, because a step-by-step deal verifies each move before the next one. The article points to a "
        "'partial agreement that freezes North Korea’s nuclear capability as is', and a freeze is worth having even "
        "if Kim never gives up everything. Third, the prestige argument. Yes, a handshake flatters a dictator, but "
        "prestige costs America almost nothing, while a freeze removes a real threat. Weigh the two: a bruised ego "
        "in Washington against a nuclear arsenal that stops growing. As the author puts it, “to negotiate with a "
        "dictator, sometimes it takes a dictator”. Finally, the alternative the other side offers is more pressure "
        "and waiting, but Kim is young and does not face re-election, so time is on his side, not ours. Walking "
        "away would throw away the calm and leave us with sanctions that have failed for decades. So talking is "
        "not a reward for Kim; it is the cheapest insurance against war we have. We support the motion."),
    "warmbier-con": (
        "warmbier", "con",
        "Kim tortured an American student to death. Believing Kim is like believing Putin about election "
        "meddling. We cannot make peace with a regime that kills our citizens.",
        "The other side tells you Kim tortured Otto Warmbier to death. But the evidence does not show that. The "
        "article is clear: “A medical examination revealed that there was no obvious signs of trauma, much less "
        "torture.” We should not block a peace process on a charge the medical record does not support. Second, "
        "ask why Kim would do it. American prisoners are valuable to Pyongyang precisely because they can be "
        "traded; as the article notes, 'No American detainees had previously been killed.' A dead American is a "
        "liability, which is why the regime rushed to send him home. So the motive the other side needs is "
        "missing. Third, my opponent compares this to believing Putin about the elections. That comparison fails, "
        "because in Russia's case there is considerable proof of interference, whereas here there is very little "
        "information about what caused the coma. Treating the two alike means judging on suspicion rather than "
        "evidence. Finally, even if North Korea were to blame, blocking rapprochement would not bring Otto back; "
        "it would only keep the peninsula one mistake away from war. The lives at stake in a nuclear crisis "
        "outweigh the satisfaction of refusing to talk. North Korea should give an account of what happened, and "
        "we can demand that inside the talks, not by ending them. For these reasons, we oppose the motion."),
    "exercises-pro": (
        "exercises", "pro",
        "Cancelling the drills abandons South Korea. We gave them up for nothing, and it leaves our troops unready.",
        "My opponent says that suspending the drills abandons South Korea. But South Korea asked for it. The "
        "article says plainly: ‘It agreed to the suspension of the military exercises.’ You cannot abandon an ally "
        "by doing what that ally requested, so the abandonment argument collapses. Second, they say we got nothing "
        "for it. That ignores what the pause buys: lower tension, and space for Seoul and Pyongyang to talk. The "
        "author writes that 'the current pause in hostilities is beneficial because it allows Seoul and Pyongyang "
        "to move incrementally toward reconciliation.' Reconciliation between the two Koreas is worth far more "
        "than one season of large-scale drills, because a real peace removes the reason for the drills in the "
        "first place. Third, on readiness: the exercises were not ended, they were replaced with much smaller "
        "drills, which means our troops still train while the big, provocative war games stop. Weigh it up: a "
        "modest cost in training against a real chance to lower the risk of war on the peninsula. And if talks "
        "fail, the drills can resume next spring; a suspension is reversible, a war is not. That is why we "
        "support suspending the joint exercises."),
    "human-rights-con": (
        "human-rights", "con",
        "Human rights must be on the table. The camps are a moral horror, and any deal that ignores them "
        "legitimises the regime.",
        "The other side says we must put the camps on the table. Nobody here denies the horror: the article itself "
        "says the human rights situation is appalling. But the question is what works. Bringing human rights into "
        "nuclear talks is, in the author's words, \"a sure recipe for failure\", because Pyongyang will walk away "
        "from any negotiation that threatens the regime's control at home. Then we get neither disarmament nor "
        "freedom. History backs this up. Arms control has always been kept separate from human rights, and that is "
        "how the United States negotiated with the Soviets in the 1980s and reached the Iran deal in 2015. Those "
        "deals made the world safer without pretending that Moscow or Tehran were free societies. My opponent says "
        "a deal would legitimise the regime. But a freeze on warheads does not praise the camps; it simply lowers "
        "the chance of a nuclear war, which would kill far more people than any prison system. Linking the two "
        "means failure on both fronts, while delinking them at least wins one. So weigh the outcomes: a deal on "
        "weapons now, with pressure on rights through other channels, is better than no deal at all. We oppose "
        "the motion."),
}


@pytest.mark.parametrize("key", sorted(HUMAN))
def test_bot_template_does_not_beat_a_well_argued_human_speech(engine, key):
    motion, side, opponent, human = HUMAN[key]
    bot = engine.speech(motion, side, "opening", 120, opponent_text=opponent)
    h = engine.score(human, motion, side, opponent_text=opponent, seconds=120)
    b = engine.score(bot.text, motion, side, opponent_text=opponent, seconds=120)
    assert h.total > b.total, (h.to_dict(), b.to_dict())
    assert h.criteria["analysis"].score > b.criteria["analysis"].score
    assert h.total >= 60


def test_short_on_topic_closing_is_relevant(engine):
    closing = engine.score(CLOSING, "diplomacy", "pro", seconds=60)
    pizza = engine.score(PIZZA, "diplomacy", "pro", seconds=60)
    assert closing.criteria["relevance"].score > 0.5
    assert "off-topic" not in closing.flags and "off-topic" in pizza.flags
    assert closing.total >= pizza.total + 25


FOR_TALKS = ("Keep the talks going: since the summits began there have been no nuclear or missile tests, and that "
             "freeze is worth protecting.")


def test_relevance_follows_the_speakers_side(engine):
    # the same on-topic closing argues for the motion: judged as the con speaker's, it helps the other side
    pro = engine.score(FOR_TALKS, "diplomacy", "pro", seconds=60)
    con = engine.score(FOR_TALKS, "diplomacy", "con", seconds=60)
    assert pro.criteria["relevance"].score > con.criteria["relevance"].score


@pytest.mark.xfail(strict=True, reason="known miss: the stance model reads 'gains that walking away would throw away' "
                   "as against continuing diplomacy (P(pro) 0.41; benchmarks/RESULTS.md, Stance)")
def test_relevance_follows_the_side_of_an_indirect_closing(engine):
    pro = engine.score(CLOSING, "diplomacy", "pro", seconds=60)
    con = engine.score(CLOSING, "diplomacy", "con", seconds=60)
    assert pro.criteria["relevance"].score > con.criteria["relevance"].score


# on topic, for the motion, and made of points the pack does not hold (Helsinki, verification)
NEW_POINTS = ("We support the motion. A deal that ignores the prison camps tells Pyongyang that the world only cares "
              "about weapons, which means the regime loses any reason to change. Human rights pressure worked in the "
              "Helsinki process with the Soviet Union, because it tied security to basic freedoms. And a regime that "
              "treats its own people this brutally cannot be trusted to keep a nuclear bargain either, so rights are "
              "part of verification, not a distraction. That is why we support the motion.")
CASUAL = ("tbh the camps are awful but u gotta sort out the nukes first, cos if u pile everything on the table kim "
          "just walks and we get nothing at all")


def test_on_topic_points_the_pack_lacks_are_relevant(engine):
    pro = engine.score(NEW_POINTS, "human-rights", "pro", seconds=60)
    con = engine.score(NEW_POINTS, "human-rights", "con", seconds=60)
    assert pro.criteria["relevance"].score >= 0.7
    assert pro.criteria["relevance"].score > con.criteria["relevance"].score + 0.2
    assert "other side" in con.criteria["relevance"].reason


def test_a_casual_point_is_relevant_and_reasoned(engine):
    r = engine.score(CASUAL, "human-rights", "con", seconds=60)
    assert "off-topic" not in r.flags
    assert r.criteria["relevance"].score > 0.5
    assert r.criteria["analysis"].score > 0


@pytest.mark.parametrize("marks", [("'", "'"), ("‘", "’"), ("“", "”"), ('"', '"'), ("«", "»")])
def test_quotes_count_in_any_quotation_marks(engine, marks):
    o, c = marks
    text = (f"Talks work, because the article says {o}Pyongyang remains committed to a moratorium on nuclear and "
            f"missile tests.{c} That freeze matters more than any photo opportunity.")
    r = engine.score(text, "diplomacy", "pro")
    assert r.criteria["evidence"].reason.startswith("1 verbatim quote"), r.criteria["evidence"].reason
    plain = engine.score(text.replace(o, "").replace(c, ""), "diplomacy", "pro")
    # the same words unquoted are a close paraphrase: credited, but less than the verbatim quote
    assert r.criteria["evidence"].score > plain.criteria["evidence"].score


def test_apostrophes_are_not_quotes(engine):
    from bot.engine.scoring import find_quotes

    text = "Kim's regime doesn't care, and the leaders' summit failed. 'It agreed to the suspension of the military exercises.'"
    quotes = find_quotes(engine.index, text)
    assert [q.text for q in quotes] == ["It agreed to the suspension of the military exercises."]
    assert quotes[0].in_article


def test_made_up_quotes_cost_a_little(engine):
    real = ("We should keep talking, because “Pyongyang remains committed to a moratorium on nuclear and missile "
            "tests.” That freeze matters.")
    fake = real.replace("Pyongyang remains committed to a moratorium on nuclear and missile tests.",
                        "Kim has promised to give up every weapon by next year.")
    r, f = engine.score(real, "diplomacy", "pro"), engine.score(fake, "diplomacy", "pro")
    assert "not found in the article" in f.criteria["evidence"].reason
    assert r.criteria["evidence"].score > f.criteria["evidence"].score


def test_reading_quotes_out_is_not_analysis(engine):
    quotes = ("“Pyongyang remains committed to a moratorium on nuclear and missile tests.” “And the United States is "
              "scaling back on its war games with South Korea.” “But let’s be clear: U.S.-North Korean relations are in "
              "a much better place today than 18 months ago.”")
    argued = ("Talks should continue because they already bought a freeze: “Pyongyang remains committed to a "
              "moratorium on nuclear and missile tests.” That matters more than a failed lunch, because every month "
              "without tests lowers the risk of war, which means walking away would cost far more than staying.")
    q, a = engine.score(quotes, "diplomacy", "pro"), engine.score(argued, "diplomacy", "pro")
    assert a.criteria["analysis"].score > q.criteria["analysis"].score + 0.3
    assert q.criteria["analysis"].score < 0.3


def test_engagement_reflects_answered_points(engine):
    motion, side, opponent, human = HUMAN["warmbier-con"]
    ignoring = ("We oppose the motion. Rapprochement lowers the risk of war, which matters more than anything else "
                "here, because a nuclear crisis would cost millions of lives. Talks also let Seoul and Pyongyang move "
                "toward reconciliation, so ending them would throw that away. For these reasons we oppose the motion.")
    a = engine.score(human, motion, side, opponent_text=opponent)
    b = engine.score(ignoring, motion, side, opponent_text=opponent)
    assert a.criteria["engagement"].score > b.criteria["engagement"].score + 0.2
    assert a.criteria["engagement"].reason.startswith("answers ")


@pytest.mark.parametrize("key", sorted(HUMAN))
def test_tips_fit_the_speaker(engine, key):
    motion, side, opponent, human = HUMAN[key]
    # a thinner speech, so the judge has tips to give, keeping the human speech's quotes
    thin = " ".join(human.split(". ")[:4]) + "."
    for text in (human, thin, CLOSING):
        r = engine.score(text, motion, side, opponent_text=opponent)
        assert 2 <= len(r.tips) <= 3
        used = normalise_quote(text)
        other = [c for c in engine.pack.claims_for(motion) if c.side != side]
        for tip in r.tips:
            if "quote “" in tip:
                quoted = tip.split("quote “", 1)[1].rsplit("”", 1)[0]
                assert normalise_quote(quoted).strip(" .") not in used, (tip, text)
            for c in other:
                assert c.text.rstrip(".")[1:] not in tip, (tip, c.id)


def test_tips_never_offer_the_other_sides_point_nor_one_already_made(engine):
    own_point = engine.pack.claim("dip-pro-moratorium").text
    r = engine.score(own_point, "diplomacy", "pro")
    assert all(own_point[1:].rstrip(".") not in t for t in r.tips)
    for c in engine.pack.claims_for("diplomacy", "con"):
        assert all(c.text[1:].rstrip(".") not in t for t in r.tips)


@pytest.mark.parametrize("text", [
    "Ich denke, dass die Gespräche mit Nordkorea weitergehen sollten, weil sie den Frieden sichern und die Tests "
    "gestoppt haben. Das ist nicht nichts.",
    "북한과의 대화는 계속되어야 합니다. 핵실험이 중단되었기 때문입니다.",
])
def test_not_english_gets_a_clear_note(engine, text):
    r = engine.score(text, "diplomacy", "pro", opponent_text="The summits achieved nothing.")
    assert "not-english" in r.flags and "off-topic" not in r.flags and "spam" not in r.flags
    assert all("English only" in c.reason for c in r.criteria.values())
    assert any("English" in t for t in r.tips)


def test_criteria_render_with_analysis(engine):
    motion, side, opponent, human = HUMAN["exercises-pro"]
    d = engine.score(human, motion, side, opponent_text=opponent).to_dict()
    assert set(d["criteria"]) == {"relevance", "evidence", "analysis", "engagement", "structure"}
    assert all(set(c) == {"score", "reason"} and c["reason"] for c in d["criteria"].values())


def test_clash_weighs_what_stood_and_what_was_answered(engine):
    motion, side, opponent, human = HUMAN["warmbier-con"]
    clash = weigh_clash(engine.index, motion, [("pro", opponent), ("con", human)])
    # the con speech answered the pro points; nothing came after it, so its own points stood
    assert clash.answered["pro"] and not clash.stood["pro"] or len(clash.answered["pro"]) > len(clash.stood["pro"])
    assert clash.stood["con"] and not clash.answered["con"]
    assert clash.leader == "con"
    assert "Con" in clash.reason and "stood" in clash.reason and "answered" in clash.reason
    for p in clash.answered["pro"]:
        assert p.answered_by and p.answered_by in human and p.span in opponent
    d = clash.to_dict()
    assert d["leader"] == "con" and isinstance(d["reason"], str)


def test_clash_with_no_reply_leaves_the_case_standing(engine):
    motion, side, opponent, human = HUMAN["diplomacy-pro"]
    ignoring = "Pizza is the best food in the world, and football is a great sport."
    clash = weigh_clash(engine.index, motion, [("pro", human), ("con", ignoring)])
    assert clash.stood["pro"] and not clash.answered["pro"]
    assert not clash.stood["con"] and not clash.answered["con"]
    assert clash.leader == "pro"
    assert "Con made no point on the motion" in clash.reason

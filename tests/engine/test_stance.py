"""The stance model (int8 ONNX cross-encoder) and `debate-bot engine stance`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.engine import stance
from bot.engine.cli import engine_app
from bot.engine.stance import Stance, predict_stance

runner = CliRunner()

# a motion in none of the training data (claim_stance, ArgKP, GPR-KB-55)
MOTION = "This house would ban homework in primary schools"
PRO = [
    "Homework steals the evenings young children need for play, rest and family, so banning it helps them.",
    "Studies find little benefit of homework for primary pupils, while it causes stress and tears at home.",
    "tbh little kids get nothing out of homework, they just need to play after school",
    "homewrk for 7 year olds is pointless and stresses everyone out lol",
]
CON = [
    "Homework builds discipline and reinforces what pupils learned in class, so it should stay.",
    "Banning homework would deprive parents of a window into what their children are learning.",
    "nah homework is how kids actually practise their times tables, keep it",
    "kids need hw to learn study habits early imo",
]


def test_clear_examples_on_an_unseen_motion():
    got = predict_stance(MOTION, PRO + CON)
    right = sum(s.label == want for s, want in zip(got, ["pro"] * len(PRO) + ["con"] * len(CON), strict=True))
    # 8 examples: a model that ignores the text gets 4. The shipped model gets 6: it calls the
    # "little benefit ... stress" claim and the casual "tbh ... nothing out of homework" con (benchmarks/RESULTS.md)
    assert right >= 6
    mean_pro = sum(s.pro for s in got[: len(PRO)]) / len(PRO)
    mean_con = sum(s.pro for s in got[len(PRO):]) / len(CON)
    assert mean_pro - mean_con > 0.3


def test_a_negated_motion_flips_every_stance():
    # the model reads the motion's target; the motion's polarity comes from its words (motion_frame)
    texts = PRO + CON
    plain = predict_stance("This house would ban homework", texts)
    negated = predict_stance("This house would not ban homework", texts)
    assert [s.label for s in negated] == ["con" if s.label == "pro" else "pro" for s in plain]
    assert [s.pro for s in negated] == pytest.approx([1.0 - s.pro for s in plain], abs=1e-6)
    against = predict_stance("This house believes that homework does more harm than good", texts)
    assert [s.label for s in against] == [s.label for s in plain]


def test_confidence_and_probability_agree():
    for s in predict_stance(MOTION, PRO + CON + ["ok", "The weather was nice on Tuesday."]):
        assert isinstance(s, Stance) and s.label in ("pro", "con")
        assert 0.5 <= s.confidence <= 1.0 and 0.0 <= s.pro <= 1.0
        assert s.confidence == pytest.approx(s.pro if s.label == "pro" else 1.0 - s.pro)
        assert (s.label == "pro") == (s.pro >= 0.5)


def test_batch_order_and_independence():
    texts = [PRO[0], CON[0], PRO[2], CON[2]]
    stance._CACHE.clear()
    batch = predict_stance(MOTION, texts)
    stance._CACHE.clear()
    alone = [predict_stance(MOTION, [t])[0] for t in texts]
    stance._CACHE.clear()
    backwards = predict_stance(MOTION, texts[::-1])
    assert [s.pro for s in batch] == pytest.approx([s.pro for s in alone], abs=1e-6)
    assert [s.pro for s in backwards[::-1]] == pytest.approx([s.pro for s in batch], abs=1e-6)
    assert predict_stance(MOTION, []) == []
    # duplicates come back once per occurrence
    dup = predict_stance(MOTION, [CON[1], CON[1]])
    assert len(dup) == 2 and dup[0] == dup[1]


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(stance, "CACHE_SIZE", 3)
    stance._CACHE.clear()
    predict_stance(MOTION, PRO + CON)
    assert len(stance._CACHE) == 3
    # the most recent entries are kept
    assert set(stance._CACHE) == {(MOTION, t) for t in CON[-3:]}


def test_cli_reads_one_claim_per_line():
    r = runner.invoke(engine_app, ["stance", "--motion", MOTION], input="\n".join([PRO[0], CON[0], "", PRO[3]]) + "\n")
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert [d["stance"] for d in lines] == ["pro", "con", "pro"]
    for d in lines:
        assert set(d) == {"stance", "confidence"} and 0.5 <= d["confidence"] <= 1.0


def test_cli_single_claim():
    r = runner.invoke(engine_app, ["stance", "--motion", MOTION, CON[0], "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["stance"] == "con"
    r = runner.invoke(engine_app, ["stance", "--motion", MOTION, PRO[0]])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Pro") and "for the motion" in r.output and "{" not in r.output


@pytest.mark.parametrize("args, stdin", [(["stance", "--motion", MOTION], ""),
                                         (["stance", "--motion", MOTION], "\n  \n"),
                                         (["stance", "--motion", MOTION, "   "], ""),
                                         (["stance", "--motion", " ", "a claim"], "")])
def test_cli_empty_input_is_a_clear_error(args, stdin):
    r = runner.invoke(engine_app, args, input=stdin)
    assert r.exit_code != 0
    assert "error:" in r.output and "Traceback" not in r.output

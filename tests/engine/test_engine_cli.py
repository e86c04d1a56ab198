from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.engine.cli import engine_app, pack_app

runner = CliRunner()


def test_motions_json(engine):
    r = runner.invoke(engine_app, ["motions", "--json"])
    assert r.exit_code == 0, r.output
    ids = [m["id"] for m in json.loads(r.output)]
    assert "diplomacy" in ids and len(ids) >= 5


def test_rebut_json(engine):
    r = runner.invoke(engine_app, ["rebut", "Walking out of Hanoi was a success because Trump refused a bad deal.",
                                   "--motion", "diplomacy", "--side", "con", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["rebuttal"] and d["evidence"][0]["paragraph"] == 16 and 0 <= d["score"] <= 1
    r = runner.invoke(engine_app, ["rebut", "I love pizza", "--json"])
    d = json.loads(r.output)
    assert d["rebuttal"] is None and d["reason"]


def test_score_json_stdin(engine):
    speech = "First, relations are in a much better place than 18 months ago. Second, there are no nuclear tests."
    r = runner.invoke(engine_app, ["score", "--side", "pro", "--motion", "diplomacy", "--json"], input=speech)
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert set(d) >= {"total", "scale", "criteria", "tips"} and d["scale"] == [0, 100]


def test_unknown_motion_is_a_clear_error(engine):
    r = runner.invoke(engine_app, ["rebut", "x y z", "--motion", "quantum chromodynamics"])
    assert r.exit_code == 2


def test_pack_validate_and_build(tmp_path, engine):
    from bot.config import DEFAULT_ARTICLE, DEFAULT_PACK

    r = runner.invoke(pack_app, ["validate", str(DEFAULT_PACK)])
    assert r.exit_code == 0 and "OK" in r.output
    out = tmp_path / "draft.yaml"
    r = runner.invoke(pack_app, ["build", str(DEFAULT_ARTICLE), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "DRAFT" in out.read_text()
    r = runner.invoke(pack_app, ["validate", str(out), "--article", str(DEFAULT_ARTICLE)])
    assert r.exit_code == 0, r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_PACK.read_text().replace("a much better place today", "a far better place today", 1))
    r = runner.invoke(pack_app, ["validate", str(bad), "--article", str(DEFAULT_ARTICLE)])
    assert r.exit_code == 1


def test_listen_json_contract(engine, tmp_path):
    speech = "Thank you. The summits froze the missile tests. They say Hanoi failed, but talks still beat war."
    r = runner.invoke(engine_app, ["listen", "--motion", "diplomacy", "--side", "pro", "--json"], input=speech)
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["points"] and d["claims"]
    for p in d["points"]:
        assert speech[p["start"]:p["end"]] == p["span"]
        assert p["kind"] in {"own", "attack", "new", "off_topic"}
    assert {"score", "mentioned", "span"} <= set(d["claims"][0])
    claims = tmp_path / "claims.txt"
    claims.write_text("Diplomacy stopped the nuclear and missile tests.\nPineapple belongs on pizza.\n", encoding="utf-8")
    r = runner.invoke(engine_app, ["listen", "-m", "diplomacy", "--claims", str(claims), "--json"], input=speech)
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert len(d["claims"]) == 2 and d["claims"][0]["score"] > d["claims"][1]["score"]
    r = runner.invoke(engine_app, ["listen", "-m", "diplomacy"], input="")
    assert r.exit_code == 2 and "no speech" in r.output


def test_rebut_and_speech_json_quote_the_opponent(engine):
    arg = "Trump should keep meeting Kim because the freeze on tests shows talks work."
    r = runner.invoke(engine_app, ["rebut", arg, "--motion", "diplomacy", "--side", "pro", "--json"])
    d = json.loads(r.output)
    assert d["opponent_quote"] and d["opponent_quote"] in arg and d["side"] == "con"
    r = runner.invoke(engine_app, ["speech", "-m", "diplomacy", "-s", "con", "-k", "rebuttal", "-o", arg, "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["answers"] and all(a["opponent_quote"] in arg for a in d["answers"])
    assert all({"opponent_quote", "claim_id", "rebuttal", "evidence"} <= set(a) for a in d["answers"])


def test_score_reads_the_bots_formats_through_the_composition_root(engine):
    from typer.testing import CliRunner as Runner

    from adapters.cli import app

    speech = "First, relations are in a much better place than 18 months ago, because the talks continue."
    r = Runner().invoke(app, ["engine", "score", "--side", "pro", "--motion", "diplomacy", "--format", "wsdc",
                              "--json"], input=speech)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["scale"] == [60, 80]
    r = Runner().invoke(app, ["engine", "score", "--side", "pro", "--format", "no-such-format"], input=speech)
    assert r.exit_code == 2

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

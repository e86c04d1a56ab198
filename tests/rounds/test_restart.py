"""SIGKILL a real bot process mid-round, restart it: the round resumes with the right remaining time,
and no speech or vote is lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.storage import db
from bot.storage import models as m

ROOT = Path(__file__).resolve().parents[2]
TINY = {"key": "tiny", "name": "Tiny", "speeches": [{"side": "pro", "kind": "opening", "seconds": 10},
                                                     {"side": "con", "kind": "opening", "seconds": 10}],
        "grace_seconds": 5, "warnings": [5]}


class BotProcess:
    """A child process whose output is collected line by line: by default a shell bot fed from stdin
    (`tests.rounds.bot_process`); with `args`, any command, with no stdin, ready once it prints `ready`."""

    def __init__(self, env: dict[str, str], args: list[str] | None = None, ready: str = "READY") -> None:
        self.proc = subprocess.Popen(args or [sys.executable, "-m", "tests.rounds.bot_process"], cwd=ROOT, env=env,
                                     stdin=subprocess.DEVNULL if args else subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(ready, timeout=120)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    def wait_for(self, needle: str, timeout: float = 60, start: int = 0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(needle in line for line in self.output[start:]):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"bot process never printed {needle!r}:\n{self.text[-3000:]}")

    def send(self, line: str) -> str:
        start = len(self.output)
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.wait_for("DONE", start=start)
        return "\n".join(self.output[start:])

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def close(self) -> None:
        """End it as a person would: end of input for the shell bot, SIGTERM for anything else."""
        if self.proc.poll() is None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_db(sessions, predicate, timeout: float = 90, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with db.transaction(sessions) as session:
            value = predicate(session)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def restart_postgres() -> None:
    """Restart the machine's PostgreSQL cluster (every connection drops); skips where this cannot be done."""
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        pytest.skip("restarting PostgreSQL needs pg_ctlcluster (Debian's postgresql-common) on this machine")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True, timeout=120)


@pytest.mark.slow
def test_sigkill_mid_round_and_restart(settings, tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": settings.resolved_database_url, "DATA_DIR": str(tmp_path / "data"),
           "TIME_SCALE": "2", "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
    engine = db.make_engine(settings.resolved_database_url)
    sessions = db.session_factory(engine)
    first = BotProcess(env)
    try:
        # A practice round (quick format: 120 s opening = 60 s real at scale 2: room for a slow restart).
        first.send("/debate practice diplomacy pro")
        first.send("First part of my opening: diplomacy with Kim stopped the nuclear tests.")
        # An open round in a tiny format that reaches judging quickly, with audience votes.
        first.send("/debate config add_format " + json.dumps(TINY))
        first.send("/debate start diplomacy tiny")
        first.send("@alice: /debate join pro")
        first.send("@bob: /debate join con")

        def open_round(session):
            return session.scalars(select(m.Round).where(m.Round.format_key == "tiny")).first()

        wait_db(sessions, lambda s: (r := open_round(s)) is not None and r.state == "judging", what="judging")
        for voter, side in (("carol", "pro"), ("dave", "con"), ("erin", "pro")):
            assert "counted" in first.send(f"@{voter}: /debate vote {side}")

        with db.transaction(sessions) as session:
            practice = session.scalars(select(m.Round).where(m.Round.is_practice.is_(True))).one()
            assert practice.state == "running" and practice.phase_index == 0
            deadline_before = practice.phase_deadline
            practice_id = practice.id
        assert deadline_before is not None
        first.kill()
    finally:
        first.close()

    second = BotProcess(env)
    try:
        with db.transaction(sessions) as session:
            practice = session.get(m.Round, practice_id)
            speech = session.scalars(select(m.Speech).where(m.Speech.round_id == practice_id,
                                                            m.Speech.phase_index == 0)).one()
            assert speech.text.startswith("First part of my opening")
            assert practice.phase_index == 0 and practice.phase_deadline == deadline_before
        assert "counted" in second.send(f"@frank: /debate vote pro round:{open_round_id(sessions)}")
        out = second.send("/debate status")
        assert "Speech 1 of 6" in out and "left" in out
        second.send("Second part, after the restart: relations are far better than 18 months ago.")

        # The opening ends by its timer, armed again from the job store: no earlier than its deadline.
        wait_db(sessions, lambda s: s.get(m.Round, practice_id).phase_index >= 2, what="pro rebuttal")
        with db.transaction(sessions) as session:
            speech = session.scalars(select(m.Speech).where(m.Speech.round_id == practice_id,
                                                            m.Speech.phase_index == 0)).one()
            assert speech.text.startswith("First part") and "Second part, after the restart" in speech.text
            assert speech.ended_at >= deadline_before and not speech.forfeited
        assert "Speech recorded" in second.send("/debate speech My rebuttal: the talks froze the testing.")
        wait_db(sessions, lambda s: s.get(m.Round, practice_id).phase_index >= 4, what="pro closing")
        assert "Speech recorded" in second.send("/debate speech My closing: keep talking.")
        wait_db(sessions, lambda s: s.get(m.Round, practice_id).state == "finished", what="practice finished")

        # The vote round (voted on before the practice finished): judging closes with all four votes.
        wait_db(sessions, lambda s: s.get(m.Round, open_round_id(sessions)).state == "finished", timeout=120,
                what="vote round finished")
        with db.transaction(sessions) as session:
            rid = open_round_id(sessions)
            votes = sorted(v.side for v in session.scalars(select(m.Vote).where(m.Vote.round_id == rid)))
            row = session.get(m.Round, rid)
            assert votes == ["con", "pro", "pro", "pro"]
            assert row.winner == "pro" and row.winner_source == "audience"
    finally:
        second.close()
        engine.dispose()


def open_round_id(sessions) -> int:
    with db.transaction(sessions) as session:
        return session.scalars(select(m.Round.id).where(m.Round.format_key == "tiny")).one()

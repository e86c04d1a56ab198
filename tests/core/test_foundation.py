"""The foundation as a newcomer meets it: CLI, shell, settings, compose file, logging."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from bot.logs import configure

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "adapters.cli"]


def run_cli(*args: str, stdin: str = "", env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    full_env.update(env or {})
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, env=full_env,
                          timeout=timeout, cwd=ROOT)


def test_help_lists_the_subcommands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("shell", "demo", "db", "run", "engine", "pack"):
        assert name in result.stdout


def test_shell_help_prints_the_command_list_and_exits_0(database_url: str, tmp_path: Path) -> None:
    result = run_cli("shell", stdin="/debate help\n", env={"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    for name in ("practice", "schedule", "leaderboard", "stats", "config"):
        assert f"/debate {name}" in result.stdout


def test_shell_unknown_command_gets_one_line_and_usage(database_url: str, tmp_path: Path) -> None:
    script = "/debate frobnicate\n/debate practice side:maybe\n"
    result = run_cli("shell", stdin=script, env={"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "Unknown command `frobnicate`" in result.stdout
    assert "`side` must be one of: pro, con." in result.stdout
    assert "Usage: `/debate practice" in result.stdout


@pytest.mark.parametrize(("platform", "variable"), [("discord", "DISCORD_TOKEN"), ("slack", "SLACK_BOT_TOKEN")])
def test_platform_without_token_names_the_variable_and_exits_2(platform: str, variable: str, tmp_path: Path) -> None:
    result = run_cli("run", platform, env={"DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and variable in lines[0], result.stderr


def test_unreachable_database_gets_a_clear_message_without_traceback(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", env={"DATABASE_URL": "postgresql://bot@127.0.0.1:1/debate",
                                           "DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_creates_the_default_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    result = run_cli("db", "upgrade", env={"DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr
    assert (data / "debate-bot.sqlite3").exists()
    assert run_cli("db", "current", env={"DATA_DIR": str(data)}).stdout.strip() != ""


def test_settings_read_environment_and_default_to_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TIME_SCALE", "30")
    settings = Settings(_env_file=None)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.as_posix()}/debate-bot.sqlite3"
    assert settings.time_scale == 30


def test_secrets_never_reach_the_logs() -> None:
    stream = io.StringIO()
    configure("INFO", ["xoxb-very-secret-token"], stream=stream)
    logging.getLogger("test").info("connecting with %s", "xoxb-very-secret-token")
    assert "xoxb-very-secret-token" not in stream.getvalue()
    assert "***" in stream.getvalue()


def test_compose_file_agrees_with_the_settings_model() -> None:
    """The production shape of issue 12: PostgreSQL, migrate, one scheduler, Discord, two Slack workers."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "migrate", "discord", "slack-scheduler", "slack-1", "slack-2"} <= set(services)
    known = {name.upper() for name in Settings.model_fields}
    for name in ("migrate", "discord", "slack-scheduler", "slack-1", "slack-2"):
        env = services[name].get("environment", {})
        assert "DATABASE_URL" in env
        unknown = set(env) - known
        assert not unknown, f"{name} sets variables the settings model does not read: {unknown}"
    assert {"DISCORD_TOKEN", "DISCORD_SHARD_COUNT", "DISCORD_SHARD_IDS"} <= set(services["discord"]["environment"])
    for name in ("slack-scheduler", "slack-1", "slack-2"):
        assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= set(services[name]["environment"])
    assert services["discord"]["command"] == ["run", "discord"]
    assert services["slack-scheduler"]["command"] == ["run", "slack", "--role", "scheduler"]
    assert services["slack-1"]["command"] == services["slack-2"]["command"] == ["run", "slack", "--role", "web"]
    assert services["migrate"]["command"] == ["db", "upgrade"]

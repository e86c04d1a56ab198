"""The `debate-bot` command line (typer + rich): the composition root, which wires the core to each adapter."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

import typer

from bot.config import MissingSetting, Settings, get_settings
from bot.engine.cli import engine_app, pack_app, use_formats
from bot.logs import configure, settings_secrets

app = typer.Typer(help="Debate-practice bot: sparring partner, timekeeper and judge.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
run_app = typer.Typer(help="Run the bot on a chat platform.", no_args_is_help=True)
discord_app = typer.Typer(help="Discord utilities.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(run_app, name="run")
app.add_typer(discord_app, name="discord")
app.add_typer(engine_app, name="engine")
app.add_typer(pack_app, name="pack")


def _format_scale(key: str, side: str) -> tuple[tuple[float, float], int | None]:
    """A debate format's speaker scale and the seconds of `side`'s first speech (for `engine score`)."""
    from bot.rounds.formats import resolve_format

    f = resolve_format(key)
    first = next((s for s in f.speeches if getattr(s, "side", None) == side), None)
    scale = f.speaker_scale
    return (float(scale[0]), float(scale[1])), (first.seconds if first else None)


use_formats(_format_scale)

# The guided demo: `# ...` lines are narration, `~turn` waits until it is your turn to speak, `~end` until the
# round has finished; everything else is typed into the room.
DEMO_SCRIPT = [
    "# You will practise one round against the bot on the seed article (the 2019 Trump-Kim summit in Hanoi).",
    "# First, the motions the bot can debate, drawn from the article:",
    "/debate motions",
    "# Start a practice round: you argue FOR the first motion, the bot argues against.",
    "/debate practice diplomacy pro",
    "# Your opening has begun: 2 minutes of debate time, a few seconds at this speed.",
    "# A speech is simply your chat messages during your turn:",
    "Trump's personal diplomacy with Kim should continue, because it has kept the peace. The article says it "
    "plainly: \u201cPyongyang remains committed to a moratorium on nuclear and missile tests.\u201d",
    "Second, relations are far better than before the talks: \u201cU.S.-North Korean relations are in a much "
    "better place today than 18 months ago.\u201d Walking away would hand the field to hardliners like Bolton.",
    "/debate status",
    "# Let the clock run: warnings at 1 minute and 30 s left, time, then the bot's opening, quoting the article.",
    "~turn",
    "# Your rebuttal: answer the bot. `/debate speech` submits a whole speech at once and ends your turn.",
    "/debate speech They say two summits produced nothing new. But the summit kept the moratorium on nuclear "
    "and missile tests, and the United States is scaling back its war games with South Korea. A rehash of old "
    "offers is still better than the threats of 18 months ago, so diplomacy should continue.",
    "~turn",
    "# Your closing, then the bot closes and scores every speech.",
    "/debate speech In closing: Trump's personal diplomacy with Kim Jong Un should continue. The bot calls Hanoi "
    "an embarrassment, but the moratorium on nuclear and missile tests and far better relations are real gains. "
    "Talking beats fighting, so keep the diplomacy going.",
    "~end",
    "# Practice rounds are rated in their own pool. Your stats so far:",
    "/debate stats",
]


def _settings(time_scale: float | None = None, database_url: str | None = None, *,
              log_to_file: bool = False) -> Settings:
    settings = get_settings()
    updates: dict[str, Any] = {}
    if time_scale is not None:
        updates["time_scale"] = time_scale
    if database_url:
        updates["database_url"] = database_url
    settings = settings.model_copy(update=updates) if updates else settings
    if log_to_file:  # keep the terminal room readable: logs go to DATA_DIR/debate-bot.log
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        configure(settings.log_level, settings_secrets(settings),
                  stream=open(settings.data_dir / "debate-bot.log", "a", encoding="utf-8"))  # noqa: SIM115
    else:
        configure(settings.log_level, settings_secrets(settings))
    return settings


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one clear line and an exit code; tracebacks only at DEBUG."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from bot.storage.db import DatabaseUnavailable

        try:
            return func(*args, **kwargs)
        except MissingSetting as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except DatabaseUnavailable as exc:
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper


TimeScale = Annotated[float | None, typer.Option("--time-scale", min=0.001, help="run every timer N times faster")]
Role = Annotated[str | None, typer.Option("--role", help="process role (default ROLE, or all): all, web (Slack HTTP "
                                          "worker, no timers), gateway (Discord, no timers), scheduler (timers only)")]


def _with_role(settings: Settings, role: str | None, allowed: tuple[str, ...]) -> Settings:
    role = (role or settings.role).strip().lower()
    if role not in allowed:
        raise typer.BadParameter(f"--role must be one of {', '.join(allowed)} here", param_hint="--role")
    return settings.model_copy(update={"role": role})


@app.command()
@friendly_errors
def shell(time_scale: TimeScale = None) -> None:
    """A local chat room in the terminal: type /debate commands, chat, or '@name: text' as someone else."""
    from adapters.shell.room import run_shell

    asyncio.run(run_shell(_settings(time_scale, log_to_file=True)))


@app.command()
@friendly_errors
def demo(time_scale: TimeScale = 30.0, database_url: Annotated[str | None, typer.Option(
        help="database for the demo (default: the configured one)")] = None) -> None:
    """A guided practice round against the bot on the seed article, in the terminal."""
    settings = _settings(time_scale, database_url, log_to_file=True)
    print(f"Guided demo: a practice round on the seed article at {settings.time_scale:g}x speed.\n", flush=True)

    async def main() -> None:
        from adapters.shell.room import ShellRoom

        async with ShellRoom(settings) as room:
            for line in DEMO_SCRIPT:
                if line.startswith("# "):
                    print(f"\n» {line[2:]}", flush=True)
                    continue
                if line in ("~turn", "~end"):
                    await _demo_wait(room, until_end=line == "~end")
                    continue
                if not line.startswith("/wait"):
                    print(f"\n{room.user}> {line}", flush=True)
                await room.line(line)
                await asyncio.sleep(0.05)  # a beat, so timed messages print after the reply they follow
            while room.pending_work():
                await asyncio.sleep(0.05)

    asyncio.run(main())


async def _demo_wait(room: Any, *, until_end: bool, timeout: float = 120.0) -> None:
    """Wait (in real time) until the demo user holds the floor, or until the latest round is over."""
    from sqlalchemy import select

    from bot.rounds import live, states
    from bot.rounds.lineup import speaker_for
    from bot.storage import db
    from bot.storage import models as m

    def ready() -> bool:
        with db.transaction(room.service.sessions) as session:
            row = session.scalars(select(m.Round).order_by(m.Round.id.desc())).first()
            if row is None or row.state in (states.FINISHED, states.CANCELLED):
                return True
            if until_end:
                return False
            phase = live.current_phase(row)
            speaker = speaker_for(row, live.fmt_of(row), phase) if phase else None
            if speaker is None or speaker.user.external_id != room.user:
                return False
            speech = live.speech_row(session, row, phase.index)  # a fresh turn: nothing said yet
            return speech is not None and not speech.text

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not ready() and loop.time() < end:
        await asyncio.sleep(0.05)


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database up (to the latest revision by default)."""
    from bot.storage.db import describe, upgrade

    settings = _settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url, revision)
    print(f"Database upgraded to {revision}: {describe(settings.resolved_database_url)}")


@db_app.command("downgrade")
@friendly_errors
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. base or -1")]) -> None:
    """Migrate the database down."""
    from bot.storage.db import downgrade

    settings = _settings()
    downgrade(settings.resolved_database_url, revision)
    print(f"Database downgraded to {revision}")


@db_app.command("current")
@friendly_errors
def db_current() -> None:
    """Print the database's current migration revision."""
    from bot.storage.db import check_connection, current_revision, make_engine

    settings = _settings()
    check_connection(make_engine(settings.resolved_database_url))
    print(current_revision(settings.resolved_database_url) or "empty (no migrations applied)")


@run_app.command("discord")
@friendly_errors
def run_discord(time_scale: TimeScale = None, role: Role = None) -> None:
    """Run the Discord bot (needs DISCORD_TOKEN); sharded with DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT."""
    from bot.config import require

    settings = _with_role(_settings(time_scale), role, ("all", "gateway"))
    require(settings, "discord_token")
    from adapters.discord.runner import run

    run(settings)


@run_app.command("slack")
@friendly_errors
def run_slack(socket_mode: Annotated[bool, typer.Option("--socket-mode", help="connect out over Socket Mode")] = False,
              port: Annotated[int | None, typer.Option(help="HTTP port (default SLACK_PORT)")] = None,
              time_scale: TimeScale = None, role: Role = None) -> None:
    """Run the Slack app (needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; SLACK_APP_TOKEN for Socket Mode)."""
    from bot.config import require

    settings = _with_role(_settings(time_scale), role, ("all", "web", "scheduler"))
    require(settings, "slack_bot_token", "slack_signing_secret", *(["slack_app_token"] if socket_mode else []))
    from adapters.slack.runner import run

    run(settings, socket_mode=socket_mode, port=port or settings.slack_port)


@discord_app.command("sync")
@friendly_errors
def discord_sync() -> None:
    """Sync the /debate commands to DISCORD_GUILD_IDS (fast) or globally."""
    from bot.config import require

    settings = _settings()
    require(settings, "discord_token")
    from adapters.discord.runner import sync

    sync(settings)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

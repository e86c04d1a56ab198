"""A corpus of bad input for every adapter (issue 12): hand-picked lines plus lines hypothesis generates.

Every line is something the bot must refuse, or answer without changing anything (help, status, a
leaderboard): none of them may start, join, vote in or configure anything. The platform tests send
them through Slack, Discord and the shell and check that each gets a clear reply, that no traceback is
logged, and that the database holds no new round, vote, schedule, deadline, speech or setting.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.storage import models as m

BIG = (2**31, 2**31 + 1, 2**53, 2**63, 2**64 + 3, 10**40)
HAND_PICKED: tuple[str, ...] = (
    # empty, blank and odd commands
    "", " ", "\t", "help help help help", "nosuchcommand", "PRACTICE?", "--help", "'", '"', "\\",
    "help \u0000", "help \u202eevil", "help " + "é" * 3000, "help " + "\U0001F600" * 500, "help <!channel>",
    "help @everyone @here", "help <@U0ALICE>", "help ﷽" * 50, "help \ud7ff\ue000\ue001\ue002marker",
    # huge, negative, zero and non-numeric ids
    *(f"status round:{n}" for n in BIG), *(f"leave round:{n}" for n in BIG), *(f"vote pro {n}" for n in BIG),
    *(f"cancel round:{n}" for n in BIG[:3]), *(f"join pro round:{n}" for n in BIG[:3]),
    *(f"judge pro round:{n}" for n in BIG[:2]), *(f"speech hello round:{n}" for n in BIG[:2]),
    "status round:0", "status round:-1", "status round:-9999999999999999999", "status round:1e9",
    "status round:0x10", "status round:" + "9" * 5000, "status round:١٢", "status round:NaN", "status round:inf",
    "vote pro round:abc", "leave round:", "status round:1 round:2",
    # wrong choices and options
    "vote sideways", "vote", "vote " + "x" * 300, "judge", "judge sideways", "judge pro 1,2,3,x",
    "judge pro " + ",".join(["99"] * 200), "leaderboard forever", "leaderboard all nobody", "stats <@Unobody>",
    "practice side:sideways", "join referee", "join pro round:abc", "help nosuch:option",
    # actions on rounds that don't exist
    "join pro", "join con", "join judge", "join audience", "leave", "cancel", "speech my whole speech",
    "speech", "vote pro", "vote con", "judge pro 70,71",
    # malformed and hostile times
    'schedule "0001-01-01 00:00" diplomacy', 'schedule "9999-12-31 23:59" diplomacy',
    'schedule "9999-12-31T23:59-12:00" diplomacy', 'schedule "2020-01-01 18:00" diplomacy',
    'schedule "in 0m" diplomacy', 'schedule "in -5m" diplomacy', 'schedule "in 99999999999999999999d" diplomacy',
    'schedule "in 1e308s" diplomacy', 'schedule "25:99" diplomacy', 'schedule "24:00" diplomacy',
    'schedule "every funday 18:00" diplomacy', 'schedule "18:30 EST" diplomacy',
    'schedule "18:30 Mars/Olympus" diplomacy', 'schedule "18:30 ../../etc/passwd" diplomacy',
    'schedule "tue 18:00" zzqx-no-such-motion', "schedule", 'schedule "in 10m"', 'schedule "" diplomacy',
    'schedule "2026-02-30 18:00" diplomacy', 'schedule "13:00pm" diplomacy', 'schedule "0:00am" diplomacy',
    # bad settings (the shell user is an admin)
    "config timezone Mars/Olympus", "config timezone ../../etc/passwd", "config timezone " + "A/" * 40,
    "config channel <@U0ALICE>", "config channel @alice", "config channel <!here>", "config format nosuch",
    "config fill_policy sometimes", "config winner_rule chaos", "config remove_format quick",
    "config add_format " + "[" * 1500, "config add_format {a: " + "{a: " * 300, "config add_format - - - - - x",
    "config add_format 'a: &a [1,1,1]\nb: [*a,*a,*a]'", "config add_format {}", "config add_format null",
    "config nosuchsetting 1", "config",
    # mention and markup injection
    "stats @everyone", "stats <!channel>", "help `code` **bold** ~~s~~ ||spoiler||", "help </script><img>",
    "practice motion:<!here>", "help " + "<@U1>" * 100,
)

_COMMANDS = st.sampled_from(["help", "status", "leave", "vote", "judge", "cancel", "stats", "leaderboard", "join",
                             "speech", "motions", "schedule", "nosuch", ""])
_WORDS = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["round:", "side:", "pro", "con", "judge", "<@U0ALICE>", "<!channel>", "@everyone", "\u202e",
                     "\x00", "'", '"', "in", "every", "tue", "25:99", "9999-12-31"]),
)
_OPTION = st.tuples(st.sampled_from(["round", "side", "role", "points", "period"]), _WORDS).map(lambda p: f"{p[0]}:{p[1]}")


def generated(count: int = 90) -> list[str]:
    """`count` lines from hypothesis, the same ones on every run (derandomised, no example database)."""
    lines: list[str] = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(_COMMANDS, st.lists(st.one_of(_WORDS, _OPTION), max_size=4)))
    def collect(parts: tuple[str, list[str]]) -> None:
        command, words = parts
        if command == "join" and words[:1] in (["audience"], ["pro"], ["con"], ["judge"]):
            words = ["referee", *words[1:]]  # a join that fits an open round is not bad input
        lines.append(" ".join([command, *words]).strip())

    collect()
    return lines


def corpus(generated_count: int = 90) -> list[str]:
    return list(HAND_PICKED) + generated(generated_count)


def is_clear(reply: str) -> bool:
    """A reply someone can act on: something said, no traceback, no 'something went wrong'."""
    return bool(reply.strip()) and "Traceback" not in reply and "Something went wrong" not in reply


def snapshot(session: Any) -> dict[str, Any]:
    """What bad input must never change."""
    data: dict[str, Any] = {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                            for t in (m.Round, m.Participant, m.Vote, m.Ballot, m.Schedule, m.Deadline, m.Speech)}
    data["settings"] = sorted((s.server_id, s.channel_id, s.timezone, s.default_format, s.fill_policy, s.winner_rule,
                               sorted((s.custom_formats or {}).keys()))
                              for s in session.scalars(select(m.ServerSettings)))
    return data

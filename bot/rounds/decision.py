"""Who won: tallies and the winner rule on plain values, with no database session (as Tabbycat keeps its
scoresheets apart from the models). `live.LiveRound.finish` reads the rows and calls these."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

DEFAULT_RULE = ("judges", "audience", "engine")


@dataclass(frozen=True)
class Tally:
    """Per side: judges' ballots won, audience votes, and the engine's scores (each speech scaled to 0–1)."""

    judges: dict[str, float]
    audience: dict[str, float]
    engine: dict[str, float]


def tally(sides: Sequence[str], ballot_winners: Iterable[str], vote_sides: Iterable[str],
          speech_scores: Iterable[tuple[str, float | None, Sequence[float]]]) -> Tally:
    """Count ballots and votes, and add up the engine's scores given as (side, total, (low, high))."""
    judges = dict.fromkeys(sides, 0.0)
    for winner in ballot_winners:
        if winner in judges:
            judges[winner] += 1
    audience = dict.fromkeys(sides, 0.0)
    for side in vote_sides:
        if side in audience:
            audience[side] += 1
    engine = dict.fromkeys(sides, 0.0)
    for side, total, scale in speech_scores:
        if side in engine and total is not None:
            lo, hi = scale
            engine[side] += (total - lo) / max(1e-9, hi - lo)
    return Tally(judges, audience, engine)


def decide(counts: Tally, rule: Sequence[str] = DEFAULT_RULE) -> tuple[str | None, str, dict[str, int]]:
    """(winner, source, ranks) by the rule: the first human source with a clear leader decides; silent or tied
    sources fall through, and the engine always decides last (an exact engine tie is a draw)."""
    engine_order = sorted(counts.engine, key=lambda s: -counts.engine[s])
    human = {"judges": counts.judges, "audience": counts.audience}
    for source in (s for s in rule if s in human):
        source_counts = human[source]
        if sum(source_counts.values()) == 0:
            continue
        order = sorted(source_counts, key=lambda s: (-source_counts[s], -counts.engine[s]))
        if source_counts[order[0]] > source_counts[order[1]]:
            return order[0], source, {s: i for i, s in enumerate(order)}
    if len(engine_order) >= 2 and counts.engine[engine_order[0]] == counts.engine[engine_order[1]]:
        return None, "engine", dict.fromkeys(engine_order, 0)
    return engine_order[0], "engine", {s: i for i, s in enumerate(engine_order)}


def count_line(counts: dict[str, float], side_name: Callable[[str], str]) -> str:
    """`Pro 2, Con 1`."""
    return ", ".join(f"{side_name(s)} {int(n)}" for s, n in counts.items())

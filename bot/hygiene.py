"""Input checks at the parsing boundary, shared by every adapter: ids within the database's range.

A round id is an INTEGER column: 1 … 2³¹−1 on PostgreSQL (SQLite's is wider, but the schema is the same
on both). A bigger number is a round that cannot exist, so it gets the same clear reply as a missing
round, before any query (PostgreSQL would raise ``NumericValueOutOfRange``).
"""

from __future__ import annotations

from typing import Any

from bot import commands

ID_MIN, ID_MAX = 1, 2**31 - 1


def id_in_range(value: int) -> bool:
    return ID_MIN <= value <= ID_MAX


def check_ids(command: commands.Command, options: dict[str, Any]) -> None:
    """Raise `commands.UsageError` when an id option names a row that cannot exist."""
    for opt in command.options:
        if opt.type != "int" or opt.name not in options:
            continue
        try:
            value = int(options[opt.name])
        except (TypeError, ValueError):
            continue  # coerce() words that error
        if value > ID_MAX:
            shown = str(value) if len(str(value)) <= 24 else str(value)[:21] + "…"
            raise commands.UsageError(f"There is no {opt.name} #{shown} here. `{commands.ROOT} status` lists the "
                                      "open rounds.")


def check_text(text: str) -> tuple[commands.Command, dict[str, Any]]:
    """`commands.parse_text` plus `check_ids`: a command line or a button's command text."""
    command, options = commands.parse_text(text)
    check_ids(command, options)
    return command, options

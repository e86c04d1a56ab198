"""The round commands, split by concern. Importing this package registers them with the command table."""

from bot.rounds.commands import ballots, lookup, practice, signup, speeches
from bot.rounds.commands.lookup import suggest
from bot.rounds.commands.speeches import on_message

__all__ = ["ballots", "lookup", "on_message", "practice", "signup", "speeches", "suggest"]

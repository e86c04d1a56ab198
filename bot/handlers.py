"""Handlers for the general commands (help, motions). Round commands live in bot.rounds.commands."""

from __future__ import annotations

from bot import commands
from bot.chat import Field, Incoming, Outgoing
from bot.context import Context, UserError


@commands.handles("help")
async def help_command(incoming: Incoming, command: str | None = None) -> Outgoing:
    """Stateless: answered from the command table without a database round trip."""
    try:
        text = commands.help_text(command, is_admin=incoming.user.is_admin)
    except commands.UsageError:
        raise UserError(f"There is no command `{command}`. Type `{commands.ROOT} help` for the list.") from None
    return Outgoing(title="Debate bot" if not command else None, text=text, ephemeral=True)


@commands.handles("motions")
async def motions_command(ctx: Context) -> Outgoing:
    engine = ctx.engine
    fields = [Field(name=f"`{mo.id}`", value=mo.text) for mo in engine.motions()]
    title = getattr(engine.article, "title", "") or "this article"
    return Outgoing(title="Motions", text=f"Drawn from *{title}*. Practise one with "
                    f"`{commands.ROOT} practice <motion> [pro|con]`.", fields=fields)

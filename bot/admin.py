"""Admin commands: `/debate config <setting> [value]` and `/debate article [show|list|use|load] [value]`.

The service only lets admins reach these. Every refusal raises UserError before anything is written,
so a bad value leaves the settings exactly as they were.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

import yaml
from sqlalchemy import func, select

from bot import chat, commands
from bot.chat import Field, Kind, Outgoing
from bot.context import UserError
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.context import Context

FILL_POLICIES = {
    "bot": "the bot takes the empty side",
    "postpone": "the round is postponed, with notice",
    "cancel": "the round is cancelled, with notice",
}
MAX_CUSTOM_FORMATS = 20
FORMAT_MAX_DEPTH = 12  # nesting of mappings/lists in a custom format (a real one needs 4)
FORMAT_MAX_NODES = 2000  # scalars, mappings and lists in it
ROOT = commands.ROOT

# -- timezone -----------------------------------------------------------------------------------------
# Abbreviations name several zones (IST: India, Ireland, Israel) or only half the year (EST vs EDT).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "EST": ("America/New_York", "America/Toronto"), "EDT": ("America/New_York", "America/Toronto"),
    "CST": ("America/Chicago", "Asia/Shanghai", "America/Havana"), "CDT": ("America/Chicago",),
    "MST": ("America/Denver", "America/Phoenix"), "MDT": ("America/Denver",),
    "PST": ("America/Los_Angeles", "Asia/Manila"), "PDT": ("America/Los_Angeles",),
    "AKST": ("America/Anchorage",), "HST": ("Pacific/Honolulu",),
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "BST": ("Europe/London", "Asia/Dhaka"), "CET": ("Europe/Paris", "Europe/Berlin"),
    "CEST": ("Europe/Paris", "Europe/Berlin"), "EET": ("Europe/Athens", "Europe/Helsinki"),
    "WET": ("Europe/Lisbon",), "MSK": ("Europe/Moscow",), "JST": ("Asia/Tokyo",), "KST": ("Asia/Seoul",),
    "AEST": ("Australia/Sydney", "Australia/Brisbane"), "AEDT": ("Australia/Sydney",),
    "NZST": ("Pacific/Auckland",), "SAST": ("Africa/Johannesburg",), "WAT": ("Africa/Lagos",),
    "AST": ("America/Halifax", "Asia/Riyadh"), "GST": ("Asia/Dubai",), "SGT": ("Asia/Singapore",),
    "HKT": ("Asia/Hong_Kong",), "PHT": ("Asia/Manila",), "ART": ("America/Argentina/Buenos_Aires",),
    "BRT": ("America/Sao_Paulo",),
}
_ABBREV_RE = re.compile(r"^[A-Z]{2,5}$|^[A-Z]{3,4}\d[A-Z]{3}$")  # "EST", "PRC", "EST5EDT"
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*[+-]\s*\d{1,2}(?::?\d{2})?$", re.I)
_SAFE_ALIASES = {"UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z"}


@cache
def _zones() -> dict[str, str]:
    """Lower-cased IANA key -> canonical key."""
    return {z.lower(): z for z in available_timezones()}


@cache
def _cities() -> dict[str, list[str]]:
    """Lower-cased city (last part, spaces for underscores) -> region keys, e.g. "new york"."""
    cities: dict[str, list[str]] = {}
    for zone in available_timezones():
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            cities.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").lower(), []).append(zone)
    return cities


def resolve_timezone(value: str) -> str:
    """An IANA timezone key for `value`, or UserError with a suggestion (abbreviations are refused)."""
    raw = value.strip().strip("`\"'")
    if not raw:
        raise UserError("Give a timezone, e.g. `Europe/London` or `America/New_York`.")
    if raw.upper() in ("UTC", "Z", "ETC/UTC", "GMT"):
        return "UTC"
    if raw.upper() in ABBREVIATIONS or _ABBREV_RE.match(raw):
        options = ABBREVIATIONS.get(raw.upper(), ())
        hint = f" Did you mean {' or '.join(f'`{o}`' for o in options)}?" if options else ""
        raise UserError(f"`{raw.upper()}` is an abbreviation, and abbreviations are ambiguous or ignore daylight "
                        f"saving time. Please use a region name like `Europe/London` or "
                        f"`America/New_York`.{hint}")
    if _OFFSET_RE.match(raw):
        raise UserError(f"A fixed offset like `{raw}` ignores daylight saving time. Please use a region name "
                        "like `Europe/Berlin` or `Asia/Kolkata`.")
    key = _zones().get(raw.lower().replace(" ", "_"))
    if key is None:
        matches = _cities().get(raw.lower().replace("_", " "), [])
        if len(matches) == 1:
            key = matches[0]
        elif matches:
            raise UserError(f"`{raw}` could mean {', '.join(f'`{z}`' for z in sorted(matches))}; please pick one.")
    if key is None or key in _SAFE_ALIASES - {"UTC"}:
        raise UserError(f"I don't know the timezone {chat.user_text(raw)}. Use an IANA name like "
                        "`Europe/London`, `America/New_York` or `Asia/Kolkata` (see "
                        "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).")
    ZoneInfo(key)  # loadable, or a bug in the tables above
    return key


# -- channel ------------------------------------------------------------------------------------------
_CHANNEL_RE = re.compile(r"^(?:<#([A-Za-z0-9_\-]+)(?:\|[^>]*)?>|#?([A-Za-z0-9_\-.]{1,64}))$")
# Not channels: a user or role mention (<@U123>, <@!123>, <@&123>, <!here>), @name, or a bare Slack user or
# bot id (U…/W…/B…), which is what a Slack user mention becomes once the adapter has read it.
_NOT_CHANNEL_RE = re.compile(r"^(?:<[@!][^>]*>|@.*|[UWB][A-Z0-9]{2,})$")


def resolve_channel(ctx: Context, value: str) -> str | None:
    raw = value.strip()
    if raw.lower() in ("here", "this"):
        return ctx.incoming.place.channel_id
    if raw.lower() in ("none", "clear", "off"):
        return None
    match = None if _NOT_CHANNEL_RE.match(raw) else _CHANNEL_RE.match(raw)
    if not match:
        raise UserError(f"{chat.user_text(raw)} is not a channel. Mention one (#debates), or say `here` for "
                        "this channel or `clear` to use wherever a round is started.")
    return match.group(1) or match.group(2)


# -- config -------------------------------------------------------------------------------------------
def _formats() -> Any:
    from bot.rounds import formats

    return formats


def _strip_fences(text: str) -> str:
    text = text.strip()
    fenced = re.match(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```$", text, re.S)
    return fenced.group(1) if fenced else text


def _settings_fields(ctx: Context) -> list[Field]:
    s = ctx.settings
    formats = _formats().available_formats(s)
    default = formats.get(s.default_format)
    custom = sorted((s.custom_formats or {}).keys())
    from bot.ratings import season_key, season_label

    return [
        Field("channel", f"`{s.channel_id}`" if s.channel_id else "not set (each round is announced where it "
              "is started)", inline=True),
        Field("timezone", s.timezone, inline=True),
        Field("format", f"`{s.default_format}`" + (f" ({default.name})" if default else " (missing!)"), inline=True),
        Field("fill_policy", f"`{s.fill_policy}` ({FILL_POLICIES.get(s.fill_policy, '?')})", inline=True),
        Field("winner_rule", " → ".join(s.winner_rule.split(",")), inline=True),
        Field("custom formats", ", ".join(f"`{k}`" for k in custom) or "none", inline=True),
        Field("season", season_label(season_key(s, ctx.service.clock.now())), inline=True),
    ]


@commands.handles("config")
async def config_command(ctx: Context, setting: str, value: str | None = None) -> Outgoing:
    s = ctx.settings
    value = chat.clean_user_text(value or "").strip() or None
    if setting == "show" or (value is None and setting not in ("add_format", "remove_format")):
        fields = _settings_fields(ctx)
        if setting != "show":
            fields = [f for f in fields if f.name == setting] or fields
        return Outgoing(title="Server settings", fields=fields, ephemeral=True,
                        footer=f"Change one with `{ROOT} config <setting> <value>`.")
    if value is None:
        raise UserError(f"`{setting}` needs a value. Usage: `{ROOT} config {setting} <value>`.")

    if setting == "channel":
        channel = resolve_channel(ctx, value)
        s.channel_id = channel
        text = (f"Rounds will be announced in channel `{channel}`." if channel
                else "Rounds will be announced where they are started.")
    elif setting == "timezone":
        s.timezone = resolve_timezone(value)
        text = f"Timezone set to **{s.timezone}**. Times like `18:30` and `tue 18:00` are read in it."
    elif setting == "format":
        formats = _formats()
        try:
            chosen = formats.resolve_format(value, s)
        except formats.FormatError as exc:
            raise UserError(str(exc)) from None
        s.default_format = chosen.key
        text = f"Default format is now **{chosen.name}** (`{chosen.key}`): {chosen.summary()}."
    elif setting == "fill_policy":
        policy = value.lower()
        if policy not in FILL_POLICIES:
            raise UserError(f"`fill_policy` must be one of: {', '.join(FILL_POLICIES)} "
                            f"(what happens when a side is empty at start time).")
        s.fill_policy = policy
        text = f"When a side is empty at start time, {FILL_POLICIES[policy]}."
    elif setting == "winner_rule":
        s.winner_rule = parse_winner_rule(value)
        text = f"Winners are decided by: {' → '.join(s.winner_rule.split(','))} (each source only when the ones before it are silent or tied)."
    elif setting == "add_format":
        text = _add_format(ctx, value)
    elif setting == "remove_format":
        text = _remove_format(ctx, value)
    elif setting == "season":
        text = _season(ctx, value)
    else:  # the command table only lets known keys through
        raise UserError(f"Unknown setting `{setting}`.")
    return Outgoing(text=text, kind=Kind.SUCCESS, ephemeral=True)


WINNER_SOURCES = ("judges", "audience", "engine")


def parse_winner_rule(value: str) -> str:
    """`audience judges`, `judges,audience` or `engine` → a canonical order ending with the engine."""
    words = [w for w in re.split(r"[\s,>→-]+", value.lower()) if w]
    if not words or any(w not in WINNER_SOURCES for w in words) or len(set(words)) != len(words):
        raise UserError("`winner_rule` is an order of judges, audience and engine, e.g. `judges audience` "
                        "or `audience judges`; the automatic judge (engine) always decides last.")
    order = [w for w in words if w != "engine"]
    return ",".join([*order, "engine"])


def _check_shape(text: str) -> None:
    """Refuse deep nesting, anchors and aliases before the YAML/JSON is built (a brace bomb would
    recurse past Python's limit, and aliases can multiply the work of validating it)."""
    too_deep = UserError(f"That format is nested more than {FORMAT_MAX_DEPTH} levels deep; a format is a mapping "
                         "with key, name, sides and a list of speeches.")
    depth, quote = 0, ""
    for ch in text:  # flow brackets first, in one cheap pass: YAML's scanner is slow on a wall of `[`
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > FORMAT_MAX_DEPTH:
                raise too_deep
        elif ch in "]}":
            depth = max(0, depth - 1)
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise UserError("A format can't use YAML anchors or aliases (`&name`, `*name`); write it out.")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > FORMAT_MAX_DEPTH:
                    raise too_deep
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > FORMAT_MAX_NODES:
                    raise UserError(f"That format has more than {FORMAT_MAX_NODES} values; it can't be right.")
    except yaml.YAMLError:
        return  # parse_format reports the syntax error itself


def _add_format(ctx: Context, value: str) -> str:
    formats = _formats()
    _check_shape(_strip_fences(value))
    try:
        fmt = formats.parse_format(_strip_fences(value))
    except formats.FormatError as exc:
        raise UserError(f"{exc}\nExample: `{ROOT} config add_format "
                        '{"key": "mini", "name": "Mini", "speeches": [{"side": "pro", "kind": "opening", '
                        '"seconds": 60}, {"side": "con", "kind": "opening", "seconds": 60}]}`') from None
    if fmt.key in formats.BUILTIN_FORMATS:
        raise UserError(f"`{fmt.key}` is a built-in format; give yours another key.")
    custom = dict(ctx.settings.custom_formats or {})
    if fmt.key not in custom and len(custom) >= MAX_CUSTOM_FORMATS:
        raise UserError(f"This server already has {MAX_CUSTOM_FORMATS} custom formats; remove one first.")
    verb = "updated" if fmt.key in custom else "added"
    custom[fmt.key] = fmt.model_dump(mode="json")
    ctx.settings.custom_formats = custom  # a new dict, so the JSON column is saved
    return (f"Format `{fmt.key}` {verb}: {fmt.summary()}. Use it with `{ROOT} practice format:{fmt.key}`, "
            f"or make it the default with `{ROOT} config format {fmt.key}`.")


def _remove_format(ctx: Context, value: str) -> str:
    key = value.strip().lower()
    custom = dict(ctx.settings.custom_formats or {})
    if key not in custom:
        builtin = key in _formats().BUILTIN_FORMATS
        names = ", ".join(f"`{k}`" for k in sorted(custom)) or "none"
        raise UserError(f"`{key}` is a built-in format and cannot be removed." if builtin else
                        f"There is no custom format {chat.user_text(key)}. Custom formats here: {names}.")
    if ctx.settings.default_format == key:
        raise UserError(f"`{key}` is the default format; choose another default first "
                        f"(`{ROOT} config format quick`).")
    schedules = ctx.session.scalars(select(m.Schedule.id).where(
        m.Schedule.server_id == ctx.server.id, m.Schedule.active.is_(True), m.Schedule.format_key == key)).all()
    if schedules:
        raise UserError(f"Recurring schedule(s) {', '.join(f'#{i}' for i in schedules)} use `{key}`; "
                        "cancel them first.")
    del custom[key]
    ctx.settings.custom_formats = custom
    return f"Format `{key}` removed. Rounds already created with it keep their own copy."


def _season(ctx: Context, value: str) -> str:
    from bot.ratings import season_key, season_label

    if value.lower() not in ("new", "start", "reset"):
        raise UserError(f"Say `{ROOT} config season new` to start a new season now.")
    ctx.settings.season_started_at = ctx.service.clock.now()
    return (f"A new season started: **{season_label(season_key(ctx.settings, ctx.service.clock.now()))}**. "
            "Season leaderboards start afresh; all-time ratings are kept.")


# -- articles -----------------------------------------------------------------------------------------
MIN_ARTICLE_CHARS = 400
MAX_ARTICLE_CHARS = 60_000
MIN_PARAGRAPHS = 3


@dataclass(frozen=True, slots=True)
class BuiltinArticle:
    name: str
    path: Path
    pack: Path | None


def builtin_articles(ctx: Context) -> dict[str, BuiltinArticle]:
    """Articles shipped in prompts/articles (the default one first), by file stem."""
    default = Path(ctx.service.settings.default_article)
    found = {default.stem: BuiltinArticle(default.stem, default, Path(ctx.service.settings.default_pack))}
    folder = default.parent
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".txt", ".md", ".html", ".htm") and path.stem not in found:
                pack = folder.parent / "packs" / f"{path.stem}.yaml"
                found[path.stem] = BuiltinArticle(path.stem, path, pack if pack.is_file() else None)
    return found


def _motion_count(pack_yaml: str | None) -> int | None:
    if not pack_yaml:
        return None
    try:
        data = yaml.safe_load(pack_yaml)
        return len(data.get("motions") or []) if isinstance(data, dict) else None
    except yaml.YAMLError:
        return None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].rstrip("-") or "article"


@commands.handles("article")
async def article_command(ctx: Context, action: str | None = None, value: str | None = None) -> Outgoing:
    action = action or "show"
    if action == "show":
        return _article_show(ctx)
    if action == "list":
        return _article_list(ctx)
    if action == "use":
        return _article_use(ctx, value)
    if action == "motion":
        return await _article_motion(ctx, value)
    return await _article_load(ctx, value)


def _article_show(ctx: Context) -> Outgoing:
    engine = ctx.engine
    row = ctx.session.get(m.Article, ctx.settings.article_id) if ctx.settings.article_id else None
    name = row.name if row else Path(ctx.service.settings.default_article).stem
    draft = bool(row and row.packs and max(row.packs, key=lambda p: p.id).is_draft)
    fields = [Field("Title", chat.user_text(engine.article.title or "(untitled)")),
              Field("Author", chat.user_text(engine.article.author or "unknown"), inline=True),
              Field("Motions", str(len(engine.motions())), inline=True),
              Field("Name", f"`{name}`" + (" (built in)" if row is None or row.server_id is None else ""),
                    inline=True)]
    footer = (f"The motions of a loaded article come from an automatic draft; check them with "
              f"`{ROOT} motions`." if draft else None)
    return Outgoing(title="This server's article", fields=fields, footer=footer, ephemeral=True)


def _article_list(ctx: Context) -> Outgoing:
    current = ctx.settings.article_id
    lines = []
    for item in builtin_articles(ctx).values():
        count = _motion_count(item.pack.read_text(encoding="utf-8")) if item.pack else None
        row = ctx.session.scalars(select(m.Article).where(m.Article.server_id.is_(None),
                                                          m.Article.name == item.name)).first()
        is_current = (current is None and item.path == Path(ctx.service.settings.default_article)) or (
            row is not None and row.id == current)
        lines.append(f"- `{item.name}` (built in){f', {count} motions' if count is not None else ''}"
                     f"{' ← current' if is_current else ''}")
    for row in ctx.session.scalars(select(m.Article).where(m.Article.server_id == ctx.server.id)
                                   .order_by(m.Article.created_at, m.Article.id)):
        pack = max(row.packs, key=lambda p: p.id) if row.packs else None
        count = _motion_count(pack.body_yaml if pack else None)
        lines.append(f"- `{row.name}`: {chat.user_text(chat.truncate(row.title, 80))}"
                     f"{f', {count} motions' if count is not None else ''}{' (draft)' if pack and pack.is_draft else ''}"
                     f"{' ← current' if row.id == current else ''}")
    return Outgoing(title="Articles", text="\n".join(lines), ephemeral=True,
                    footer=f"Switch with `{ROOT} article use <name>`; add one with `{ROOT} article load <text>`.")


def _article_use(ctx: Context, value: str | None) -> Outgoing:
    name = (value or "").strip()
    if not name:
        raise UserError(f"Which article? Usage: `{ROOT} article use <name>` (see `{ROOT} article list`).")
    row = ctx.session.scalars(select(m.Article).where(m.Article.server_id == ctx.server.id,
                                                      func.lower(m.Article.name) == name.lower())).first()
    builtins = builtin_articles(ctx)
    if row is None:
        item = builtins.get(name) or next((b for k, b in builtins.items() if k.lower() == name.lower()), None)
        if item is None:
            known = [f"`{k}`" for k in builtins] + [f"`{r}`" for r in ctx.session.scalars(
                select(m.Article.name).where(m.Article.server_id == ctx.server.id))]
            raise UserError(f"There is no article {chat.user_text(name)}. Articles: {', '.join(known)}.")
        if item.path == Path(ctx.service.settings.default_article):
            ctx.settings.article_id = None
            return Outgoing(text=f"Using the built-in article `{item.name}` again.", kind=Kind.SUCCESS)
        row = _builtin_row(ctx, item)
    ctx.settings.article_id = row.id
    ctx.service.forget_engine(row.id)
    return Outgoing(text=f"This server now debates from `{row.name}`: {chat.user_text(row.title)}. "
                         f"See the motions with `{ROOT} motions`.", kind=Kind.SUCCESS)


def _builtin_row(ctx: Context, item: BuiltinArticle) -> m.Article:
    """A shared (server_id NULL) Article row for a shipped article other than the default."""
    row = ctx.session.scalars(select(m.Article).where(m.Article.server_id.is_(None),
                                                      m.Article.name == item.name)).first()
    if row is not None:
        return row
    from bot.engine import load_article

    text = item.path.read_text(encoding="utf-8")
    parsed = load_article(item.path)
    row = m.Article(server_id=None, name=item.name[:100], title=(parsed.title or item.name)[:300],
                    author=(parsed.author or "")[:200], text=text, sha256=hashlib.sha256(text.encode()).hexdigest())
    ctx.session.add(row)
    ctx.session.flush()
    if item.pack is not None:
        ctx.session.add(m.Pack(article_id=row.id, name=item.pack.stem, body_yaml=item.pack.read_text(encoding="utf-8")))
        ctx.session.flush()
    return row


async def _article_load(ctx: Context, value: str | None) -> Outgoing:
    text = chat.clean_user_text(_strip_fences(value or "")).strip()
    if not text:
        raise UserError(f"Paste the article's text after the command: `{ROOT} article load <text>` "
                        "(plain text, Markdown or HTML; title first, paragraphs separated by blank lines).")
    if len(text) > MAX_ARTICLE_CHARS:
        raise UserError(f"That article is too long ({len(text):,} characters; the limit is "
                        f"{MAX_ARTICLE_CHARS:,}). Paste a shorter article or an excerpt.")
    if len(text) < MIN_ARTICLE_CHARS:
        raise UserError(f"That is too short to debate from ({len(text)} characters). Paste a whole article "
                        f"of at least {MIN_ARTICLE_CHARS} characters.")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = ctx.session.scalars(select(m.Article).where(m.Article.server_id == ctx.server.id,
                                                           m.Article.sha256 == digest)).first()
    if existing is not None:
        ctx.settings.article_id = existing.id
        ctx.service.forget_engine(existing.id)
        return Outgoing(text=f"That article is already loaded as `{existing.name}`; this server now uses it.",
                        kind=Kind.SUCCESS)
    from bot.engine.article import parse_article

    article = parse_article(text)
    if len(article.paragraphs) < MIN_PARAGRAPHS or len(article.sentences) < 2 * MIN_PARAGRAPHS:
        raise UserError(f"I found only {len(article.paragraphs)} paragraph(s). Separate paragraphs with blank "
                        f"lines; an article needs at least {MIN_PARAGRAPHS}.")
    try:
        pack = await asyncio.to_thread(draft_pack, article)
    except ValueError as exc:  # PackError is a ValueError: too little to build motions from
        raise UserError(f"I could not draft debate motions from that article: {exc}") from None
    name = _unique_name(ctx, _slug(article.title or text[:60]))
    row = m.Article(server_id=ctx.server.id, name=name, title=(article.title or name)[:300],
                    author=(article.author or "")[:200], text=text, sha256=digest)
    ctx.session.add(row)
    ctx.session.flush()
    ctx.session.add(m.Pack(article_id=row.id, name="draft", body_yaml=pack.to_yaml(), is_draft=bool(pack.draft),
                           confidence=pack.confidence))
    ctx.settings.article_id = row.id
    ctx.session.flush()
    ctx.service.forget_engine(row.id)
    confidence = f" (confidence {pack.confidence:.0%})" if pack.confidence is not None else ""
    return Outgoing(
        title="Article loaded",
        text=(f"Loaded {chat.user_text(article.title or name)} as `{name}` with {len(pack.motions)} drafted "
              f"motions{confidence}. This server now debates from it.\nThe motions and claims were drafted "
              f"automatically; review them with `{ROOT} motions`. Switch back with `{ROOT} article use "
              f"{Path(ctx.service.settings.default_article).stem}`.\n\n{_draft_motions_text(pack)}"),
        kind=Kind.SUCCESS)


def _draft_motions_text(pack: Any) -> str:
    """The drafted motions, numbered, with how to pick, reword or drop them."""
    lines = ["Drafted motions:"]
    for i, mo in enumerate(pack.motions, start=1):
        n_pro, n_con = len(pack.claims_for(mo.id, "pro")), len(pack.claims_for(mo.id, "con"))
        thin = f"; one-sided, little for {mo.one_sided} (general arguments fill in)" if mo.one_sided else ""
        lines.append(f"{i}. {chat.user_text(mo.text)} ({n_pro} for / {n_con} against{thin})")
    lines.append(f"Pick with `{ROOT} article motion keep 1 3`, drop with `{ROOT} article motion drop 2`, "
                 f"reword with `{ROOT} article motion reword 1 This house would …`.")
    return "\n".join(lines)


async def _article_motion(ctx: Context, value: str | None) -> Outgoing:
    """`article motion [keep N… | drop N… | reword N TEXT]`: edit the drafted motions of the loaded article."""
    from bot.engine.article import parse_article
    from bot.engine.drafting import keep_motions, reword_motion
    from bot.engine.pack import Pack as PackModel

    row = ctx.session.get(m.Article, ctx.settings.article_id) if ctx.settings.article_id else None
    if row is None or row.server_id != ctx.server.id or not row.packs:
        raise UserError(f"Load an article first (`{ROOT} article load <text>`); the built-in pack is edited by hand.")
    pack_row = max(row.packs, key=lambda p: p.id)
    pack = PackModel.model_validate(yaml.safe_load(pack_row.body_yaml))
    words = (value or "").split()
    verb = words[0].lower() if words else "show"
    if verb == "show":
        return Outgoing(title="Drafted motions", text=_draft_motions_text(pack), ephemeral=True)
    n = len(pack.motions)

    def number(tok: str) -> str:
        if not tok.isdigit() or not 1 <= int(tok) <= n:
            raise UserError(f"{chat.user_text(tok)} is not a motion number (1 to {n}; see `{ROOT} article motion`).")
        return pack.motions[int(tok) - 1].id

    try:
        if verb in ("keep", "pick"):
            ids = [number(t) for t in words[1:]]
            if not ids:
                raise UserError(f"Which motions? e.g. `{ROOT} article motion keep 1 3`.")
            pack = keep_motions(pack, ids)
        elif verb == "drop":
            drop = {number(t) for t in words[1:]}
            if not drop:
                raise UserError(f"Which motions? e.g. `{ROOT} article motion drop 2`.")
            if len(drop) >= n:
                raise UserError("That would drop every motion; keep at least one.")
            pack = keep_motions(pack, [mo.id for mo in pack.motions if mo.id not in drop])
        elif verb == "reword":
            if len(words) < 3:
                raise UserError(f"Usage: `{ROOT} article motion reword <number> <new motion>`.")
            mid = number(words[1])
            article = parse_article(row.text)
            pack = await asyncio.to_thread(reword_motion, pack, article, mid, " ".join(words[2:]))
        else:
            raise UserError(f"Usage: `{ROOT} article motion [keep N… | drop N… | reword N <motion>]`.")
    except ValueError as exc:
        raise UserError(f"I could not change the motions: {exc}") from None
    pack_row.body_yaml = pack.to_yaml()
    ctx.session.flush()
    ctx.service.forget_engine(row.id)
    return Outgoing(title="Motions updated", text=_draft_motions_text(pack), kind=Kind.SUCCESS)


def draft_pack(article: Any) -> Any:
    """The engine's offline pack drafter (motions, claims, links with honest confidence)."""
    from bot.engine.drafting import draft_pack as build

    return build(article)


def _unique_name(ctx: Context, base: str) -> str:
    taken = set(ctx.session.scalars(select(m.Article.name).where(m.Article.server_id == ctx.server.id)))
    taken |= set(builtin_articles(ctx))
    name, n = base, 2
    while name in taken:
        name = f"{base}-{n}"
        n += 1
    return name

"""`/debate article`: show, list, use and load (pasted text drafted into a pack by the engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot import chat
from bot.config import Settings
from bot.service import DebateService
from bot.storage import models as m
from tests.fakes.incoming import incoming
from tests.fakes.messenger import RecordingMessenger

ARTICLE = """Cities Should Make Buses Free

By Maria Lopez

Fare-free buses have spread from small towns to big cities. Kansas City made its buses free in 2020, and ridership recovered faster than in most American cities. Supporters say free fares help the poorest riders most.

Critics argue that free buses drain budgets that could pay for better service. "Riders care more about frequency than fares," said transit planner Jarrett Walker. He warned that cutting fares without adding buses leaves people waiting in the cold.

The city of Tallinn in Estonia has offered free transit to residents since 2013. Car traffic fell only slightly, which suggests that price alone does not change habits. Still, low-income residents travelled more often to jobs and clinics.

Drivers' unions have raised safety concerns. When fares disappear, they say, buses can become shelters of last resort, and conflicts rise. Some cities have answered by hiring more staff and outreach workers.

The strongest argument for free buses may be fairness. Roads are free to use at the point of service, while bus riders pay every trip. Making buses free treats transit like the public good it is.

Yet money is finite. Every dollar spent replacing fares is a dollar not spent on new routes, shelters, or electric buses. Cities must decide which investment gets more people where they need to go.
"""


@pytest.fixture
async def service(settings: Settings):  # type: ignore[no-untyped-def]
    svc = DebateService(settings, RecordingMessenger(), platform="shell")
    yield svc
    await svc.stop()


async def article(service: DebateService, action: str | None = None, value: str | None = None,
                  *, admin: bool = True) -> chat.Outgoing:
    options = {k: v for k, v in (("action", action), ("value", value)) if v is not None}
    [reply] = await service.handle(incoming("article", "boss", admin=admin, **options))
    return reply


def current_article(service: DebateService) -> int | None:
    with service.sessions() as s:
        row = s.scalars(select(m.ServerSettings)).first()
        return row.article_id if row else None


def counts(service: DebateService) -> tuple[int, int]:
    with service.sessions() as s:
        return (s.scalar(select(func.count()).select_from(m.Article)),
                s.scalar(select(func.count()).select_from(m.Pack)))


async def test_show_and_list_the_built_in_article(service: DebateService) -> None:
    shown = await article(service)
    values = {f.name: chat.plain(f.value) for f in shown.fields}
    assert "Trump/Kim" in values["Title"] and int(values["Motions"]) >= 5
    listed = await article(service, "list")
    assert "`hanoi-summit` (built in)" in listed.text and "← current" in listed.text


async def test_load_use_and_list_a_pasted_article(service: DebateService) -> None:
    loaded = await article(service, "load", ARTICLE)
    assert loaded.kind == chat.Kind.SUCCESS, loaded.text
    assert "cities-should-make-buses-free" in loaded.text and "drafted" in loaded.text
    article_id = current_article(service)
    assert article_id is not None and counts(service) == (1, 1)
    with service.sessions() as s:
        row = s.get(m.Article, article_id)
        assert row.title == "Cities Should Make Buses Free" and row.author.endswith("Lopez")
        assert row.packs[0].is_draft and "motions" in row.packs[0].body_yaml
    shown = await article(service, "show")
    values = {f.name: chat.plain(f.value) for f in shown.fields}
    assert values["Title"] == "Cities Should Make Buses Free" and int(values["Motions"]) >= 1
    [motions] = await service.handle(incoming("motions", "boss"))
    assert "Cities Should Make Buses Free" in chat.plain(motions.text)
    listed = await article(service, "list")
    assert "cities-should-make-buses-free" in listed.text and "(draft) ← current" in listed.text
    # loading the same text again reuses the row
    again = await article(service, "load", ARTICLE)
    assert "already loaded" in again.text and counts(service) == (1, 1)
    # switch back to the built-in one, then to the loaded one by name
    assert (await article(service, "use", "hanoi-summit")).kind == chat.Kind.SUCCESS
    assert current_article(service) is None
    assert (await article(service, "use", "Cities-Should-Make-Buses-Free")).kind == chat.Kind.SUCCESS
    assert current_article(service) == article_id


@pytest.mark.parametrize(("value", "expect"), [
    ("", "Paste the article"),
    ("   \n\n  ", "Paste the article"),
    ("x" * 70_000, "too long"),
    ("Too short to debate.", "too short"),
    ("One enormous paragraph without breaks. " * 30, "paragraph"),
])
async def test_bad_article_text_changes_nothing(service: DebateService, value: str, expect: str) -> None:
    await article(service, "list")
    reply = await article(service, "load", value)
    assert reply.kind == chat.Kind.ERROR and expect in reply.text
    assert counts(service) == (0, 0) and current_article(service) is None


async def test_unicode_article_loads(service: DebateService) -> None:
    text = ARTICLE.replace("Maria Lopez", "María López").replace("Tallinn", "Tallinn (Таллинн)") + \
        "\nÜberall in Europa 🚌 wird darüber gestritten, ob kostenlose Busse gerecht sind.\n"
    reply = await article(service, "load", text)
    assert reply.kind == chat.Kind.SUCCESS, reply.text
    with service.sessions() as s:
        row = s.get(m.Article, current_article(service))
        assert "María López" in row.author and "🚌" in row.text


async def test_use_unknown_article_and_members_are_refused(service: DebateService) -> None:
    reply = await article(service, "use", "nope")
    assert reply.kind == chat.Kind.ERROR and "hanoi-summit" in reply.text
    member = await article(service, "load", ARTICLE, admin=False)
    assert member.kind == chat.Kind.ERROR and counts(service) == (0, 0)

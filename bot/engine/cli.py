"""`debate-bot engine ...` and `debate-bot pack ...` (typer apps mounted by adapters/cli.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

engine_app = typer.Typer(help="Motions, rebuttals, bot speeches and speech scores from the article.", no_args_is_help=True)
pack_app = typer.Typer(help="Build and validate debate packs.", no_args_is_help=True)

ArticleOpt = Annotated[Path | None, typer.Option("--article", "-a", help="article file (default: the seed article)")]
PackOpt = Annotated[Path | None, typer.Option("--pack", "-p", help="pack YAML (default: the article's pack)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]

# speaker scales when bot.rounds is not importable
_SCALES = {"wsdc": (60, 80), "worlds": (60, 80), "bp": (50, 99), "pf": (25, 30), "ld": (25, 30), "quick": (0, 100)}


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def _engine(article: Path | None, pack: Path | None):
    from .core import get_engine
    from .pack import PackError

    if article is not None and not article.is_file():
        _fail(f"article not found: {article}")
    if pack is not None and not pack.is_file():
        _fail(f"pack not found: {pack}")
    try:
        return get_engine(article, pack)
    except PackError as exc:
        _fail(str(exc))


def _print_json(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _motion_id(eng, ref: str | None) -> str | None:
    if not ref:
        return None
    m = eng.find_motion(ref)
    if m is None:
        _fail(f"no motion matches {ref!r}; try `debate-bot engine motions`")
    return m.id


def _side(side: str | None) -> str | None:
    if side is None:
        return None
    s = side.strip().lower()
    aliases = {"pro": "pro", "prop": "pro", "gov": "pro", "for": "pro", "con": "con", "opp": "con", "against": "con"}
    if s not in aliases:
        _fail("--side must be pro or con")
    return aliases[s]


@engine_app.command("motions")
def motions_cmd(article: ArticleOpt = None, pack: PackOpt = None, as_json: JsonOpt = False) -> None:
    """List the motions the article supports."""
    eng = _engine(article, pack)
    ms = eng.motions()
    if as_json:
        _print_json([
            {**m.to_dict(), "claims": {s: len(eng.pack.claims_for(m.id, s)) for s in ("pro", "con")}} for m in ms
        ])
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=eng.article.title + (" (draft pack)" if eng.pack.draft else ""))
    t.add_column("id")
    t.add_column("motion")
    t.add_column("kind")
    t.add_column("pro/con claims", justify="right")
    for m in ms:
        t.add_row(m.id, m.text, m.kind, f"{len(eng.pack.claims_for(m.id, 'pro'))}/{len(eng.pack.claims_for(m.id, 'con'))}")
    Console().print(t)


@engine_app.command("rebut")
def rebut_cmd(
    argument: Annotated[str, typer.Argument(help="the argument to answer")],
    motion: Annotated[str | None, typer.Option("--motion", "-m", help="motion id or words")] = None,
    side: Annotated[str | None, typer.Option("--side", "-s", help="the arguer's side: pro|con")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="claim ids already used")] = None,
    article: ArticleOpt = None,
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer an argument with a counter-claim and a verbatim quote (or decline honestly)."""
    eng = _engine(article, pack)
    r = eng.rebut(argument, motion_id=_motion_id(eng, motion), side=_side(side), exclude=exclude or ())
    if as_json:
        _print_json(r.to_dict())
        return
    from .results import Decline

    if isinstance(r, Decline):
        typer.echo(r.reason)
        return
    typer.echo(f"Motion: {r.motion.text}  [{r.motion.id}]")
    typer.echo(f"You said: “{r.opponent_quote}”" + (f"  (heard as: {r.matched_claim.text})" if r.matched_claim else ""))
    typer.echo(f"Rebuttal ({r.side}): {r.text}")
    if r.source == "general":
        typer.echo("  (a general answer, not from the article)")
    for e in r.evidence:
        typer.echo(f"  “{e.quote}” (paragraph {e.paragraph})")


def _read_stdin() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


@engine_app.command("listen")
def listen_cmd(
    motion: Annotated[str, typer.Option("--motion", "-m", help="motion id or words")],
    side: Annotated[str | None, typer.Option("--side", "-s", help="the speaker's side: pro|con")] = None,
    claims: Annotated[Path | None, typer.Option("--claims", help="candidate claims, one per line")] = None,
    article: ArticleOpt = None,
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hear a speech read from stdin: the points it makes (spans and kinds) and the claims it mentions."""
    eng = _engine(article, pack)
    text = _read_stdin()
    if not text.strip():
        _fail("no speech on stdin: pipe the speech in, e.g. `echo 'Talks work.' | debate-bot engine listen -m 1`")
    candidates = None
    if claims is not None:
        if not claims.is_file():
            _fail(f"claims file not found: {claims}")
        candidates = [line.strip() for line in claims.read_text(encoding="utf-8", errors="replace").splitlines()
                      if line.strip()]
    hearing = eng.listen(text, _motion_id(eng, motion), _side(side), candidates)
    if as_json:
        _print_json(hearing.to_dict())
        return
    if hearing.language != "en":
        typer.echo("note: this does not look like English; the engine reads English only")
    for p in hearing.points:
        tag = p.kind + (f" {p.claim_id}" if p.claim_id else "")
        typer.echo(f"[{p.start}:{p.end}] {tag:<28} {p.span}")
    shown = [c for c in hearing.claims if c.mentioned]
    if shown:
        typer.echo("claims mentioned:")
        for c in shown:
            typer.echo(f"  {c.score:.2f} {c.claim_id or ''} ← “{c.span}”")


# How `engine score --format` reads a debate format: (format key, side) -> (speaker scale, seconds of that
# side's first speech). The engine knows no round formats; the command line's composition root
# (adapters/cli.py) plugs the bot's formats in with `use_formats`.
FormatLookup = Callable[[str, str], tuple[tuple[float, float], int | None]]
_FORMATS: list[FormatLookup] = []


def use_formats(lookup: FormatLookup) -> None:
    """Let `engine score --format` read the bot's debate formats."""
    _FORMATS[:] = [lookup]


def _scale_and_seconds(fmt: str | None, side: str) -> tuple[tuple[float, float], int | None]:
    if not fmt:
        return (0, 100), None
    for lookup in _FORMATS:
        try:
            return lookup(fmt, side)
        except Exception as exc:  # FormatError and friends
            if fmt.lower() not in _SCALES:
                _fail(str(exc))
    if fmt.lower() in _SCALES:
        return _SCALES[fmt.lower()], None
    _fail(f"unknown format {fmt!r}")
    return (0, 100), None


@engine_app.command("score")
def score_cmd(
    side: Annotated[str, typer.Option("--side", "-s", help="the speaker's side: pro|con")],
    motion: Annotated[str | None, typer.Option("--motion", "-m", help="motion id or words (default: inferred)")] = None,
    opponent: Annotated[str, typer.Option("--opponent", "-o", help="the opponent's last speech")] = "",
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="debate format (sets the speaker scale)")] = None,
    seconds: Annotated[int | None, typer.Option("--seconds", help="time allowed (default: the format's, else 120)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="read the speech from a file instead of stdin")] = None,
    article: ArticleOpt = None,
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Judge a speech read from stdin: total on the format's scale, four criteria, tips."""
    eng = _engine(article, pack)
    s = _side(side)
    text = file.read_text(encoding="utf-8") if file else ("" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read())
    scale, fmt_seconds = _scale_and_seconds(fmt, s)
    result = eng.score(text, _motion_id(eng, motion), s, opponent_text=opponent,
                       seconds=seconds or fmt_seconds or 120, scale=scale)
    if as_json:
        _print_json(result.to_dict())
        return
    typer.echo(f"Total: {result.total:g} on {scale[0]:g}–{scale[1]:g}" + (f"  [{', '.join(result.flags)}]" if result.flags else ""))
    for name, c in result.criteria.items():
        typer.echo(f"  {name:<11} {c.score:.2f}  {c.reason}")
    for tip in result.tips:
        typer.echo(f"  tip: {tip}")


@engine_app.command("speech")
def speech_cmd(
    motion: Annotated[str, typer.Option("--motion", "-m", help="motion id or words")],
    side: Annotated[str, typer.Option("--side", "-s", help="pro|con")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="opening|rebuttal|closing|reply")] = "opening",
    seconds: Annotated[int, typer.Option("--seconds")] = 120,
    opponent: Annotated[str, typer.Option("--opponent", "-o")] = "",
    article: ArticleOpt = None,
    pack: PackOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compose the bot's speech from the pack."""
    eng = _engine(article, pack)
    sp = eng.speech(_motion_id(eng, motion), _side(side), kind, seconds, opponent_text=opponent)
    if as_json:
        _print_json(sp.to_dict())
    else:
        typer.echo(sp.text)


@engine_app.command("stance")
def stance_cmd(
    motion: Annotated[str, typer.Option("--motion", "-m", help="the motion's words")],
    claim: Annotated[str | None, typer.Argument(help="the claim (default: one claim per line on stdin)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Say whether a claim is pro or con the motion; without CLAIM, one JSON line per stdin line (blank lines skipped)."""
    if not motion.strip():
        _fail("--motion is empty: give the motion's words")
    if claim is not None:
        texts = [claim.strip()] if claim.strip() else []
    else:
        raw = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
        texts = [line.strip() for line in raw.splitlines() if line.strip()]
    if not texts:
        _fail("no claim given: pass CLAIM, or one claim per line on stdin")
    from .stance import predict_stance

    results = predict_stance(motion, texts)
    if claim is None or as_json:
        for s in results:
            typer.echo(json.dumps({"stance": s.label, "confidence": round(s.confidence, 4)}))
        return
    s = results[0]
    typer.echo(f"{s.label.capitalize()}: that claim is {'for' if s.label == 'pro' else 'against'} the motion "
               f"({s.confidence:.0%} confident).")


# ---------------------------------------------------------------------- packs


@pack_app.command("build")
def build_cmd(
    article: Annotated[Path, typer.Argument(help="article: .txt, .md or .html")],
    out: Annotated[Path, typer.Option("--out", "-o", help="where to write the pack YAML")],
    motions: Annotated[int, typer.Option("--motions", help="how many motions to propose (without --motion)")] = 5,
    motion: Annotated[list[str] | None, typer.Option(
        "--motion", help="a motion to build the pack for (repeatable; the first is the pack's first motion)")] = None,
) -> None:
    """Draft a pack offline (motions, claims, links). The draft is marked as such, with its confidence."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .article import load_article
    from .drafting import draft_pack
    from .pack import PackError, load_pack, pack_quality

    if not article.is_file():
        _fail(f"article not found: {article}")
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), transient=False, console=Console(stderr=True)) as progress:
        task = progress.add_task("reading the article", total=100)

        def step(desc: str, pct: float) -> None:
            progress.update(task, description=desc, completed=pct)

        art = load_article(article)
        try:
            pack = draft_pack(art, n_motions=motions, motions=motion or None, progress=step,
                              article_name=article.name)
        except ValueError as exc:
            _fail(str(exc))
        step("validating", 97)
        try:
            quality = pack_quality(load_pack(pack.to_yaml(), art))
        except PackError as exc:  # a drafting bug: say so rather than write a broken pack
            _fail(f"the draft did not validate: {exc}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(_draft_header(pack, article) + pack.to_yaml(), encoding="utf-8")
        step("done", 100)
    n_claims = len(pack.claims)
    typer.echo(f"wrote {out}: DRAFT pack, {len(pack.motions)} motions, {n_claims} claims, "
               f"{sum(len(v) for v in pack.links.values())} links, confidence {pack.confidence:.2f}. "
               "Review it before use: motions, sides and links are drafted by models, the quotes are verbatim.")
    typer.echo(quality.summary())
    for problem in quality.problems:
        typer.echo(f"warning: {problem}", err=True)


def _draft_header(pack, article: Path) -> str:
    return (f"# DRAFT pack for {article.name}, built offline by `debate-bot pack build` (no language model).\n"
            f"# Overall confidence {pack.confidence:.2f}; each claim has its own. Quotes are verbatim and\n"
            "# validated; motion wording, sides, holders and links are drafted by models: review them.\n"
            "# Claims with `source: general` are general-purpose arguments, not from the article.\n")


@pack_app.command("validate")
def validate_cmd(
    pack: Annotated[Path, typer.Argument(help="pack YAML")],
    article: ArticleOpt = None,
) -> None:
    """Check a pack against its article: verbatim quotes, links, both sides, and sense (no fragments, 2+ a side)."""
    import yaml

    from bot.config import DEFAULT_ARTICLE, PROMPTS_DIR

    from .article import load_article
    from .pack import PackError, load_pack, pack_quality

    if not pack.is_file():
        _fail(f"pack not found: {pack}")
    if article is None:
        try:
            named = (yaml.safe_load(pack.read_text(encoding="utf-8")) or {}).get("article")
        except yaml.YAMLError:
            named = None
        candidates = [pack.parent / named, PROMPTS_DIR / "articles" / named] if named else []
        article = next((c for c in candidates if c.is_file()), DEFAULT_ARTICLE)
    if not article.is_file():
        _fail(f"article not found: {article}")
    try:
        p = load_pack(pack, load_article(article))
    except PackError as exc:
        typer.echo(f"{pack}: {exc}", err=True)
        raise typer.Exit(1) from None
    quality = pack_quality(p)
    if quality.problems:
        n = len(quality.problems)
        typer.echo(f"{pack}: invalid pack ({n} problem{'s' if n > 1 else ''}):\n  " + "\n  ".join(quality.problems)
                   + "\n" + quality.summary(), err=True)
        raise typer.Exit(1)
    n_ev = sum(len(c.evidence) for c in p.claims)
    typer.echo(f"{pack}: OK{' (draft)' if p.draft else ''} against {article.name}: {len(p.motions)} motions, "
               f"{len(p.claims)} claims, {n_ev} verbatim quotes, {sum(len(v) for v in p.links.values())} links")
    typer.echo(quality.summary())

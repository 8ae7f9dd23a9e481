"""``finguard verify ...``: identity documents, name / ID consistency and 1:1 face verification (#17).

Exit codes: 0 valid / consistent / match; 1 invalid, inconsistent, no match or retake; 2 the
input could not be read (the field and the problem are printed).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from finguard.core.cli import fail as _fail
from finguard.core.cli import open_platform, out
from finguard.core.errors import FinguardError, InvalidInput
from finguard.identity.model.documents import DocumentKind
from finguard.identity.provider import IdentitySettings, identity_for

app = typer.Typer(
    help="Verify identity documents and faces (resident ID, USCC, cards, passports, permits; 1:1 face).", no_args_is_help=True
)


def _kind(raw: str) -> DocumentKind:
    try:
        return DocumentKind(raw)
    except ValueError:
        raise InvalidInput.for_field("kind", f"{raw!r} is not a document kind; accepted: {', '.join(DocumentKind)}") from None


def _date(raw: str | None) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.for_field("at", f"{raw!r} is not an ISO date (e.g. 2026-12-05)") from None


def _picture(path: Path, field: str, limit: int) -> bytes:
    if not path.is_file():
        raise InvalidInput.for_field(field, f"{path} is not a file")
    if path.stat().st_size > limit:
        raise InvalidInput.for_field(field, f"{path.name} is larger than {limit} bytes")
    return path.read_bytes()


@app.command("id")
def verify_id(
    number: Annotated[str, typer.Argument(help="The document number as written.")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(DocumentKind)}.")] = DocumentKind.RESIDENT_ID.value,
    at: Annotated[str | None, typer.Option(help="The date ages refer to (ISO; default today).")] = None,
    country: Annotated[str, typer.Option(help="Passports: the issuing country.")] = "CN",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")] = False,
) -> None:
    """Check a document number's structure, naming every problem.

    A structural check cannot tell an issued number from an invented one."""
    try:
        parsed_kind, parsed_at = _kind(kind), _date(at)
        with open_platform() as p:
            from finguard.identity.http import adapt_number  # the wire shape the API returns, printed as is

            result = adapt_number(
                identity_for(p).check_number(parsed_kind, number, actor="cli", channel="cli", at=parsed_at, country=country)
            )
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        out.print_json(result.model_dump_json())
    else:
        out.print(f"{result.kind.value} {escape(result.number)}: " + ("[green]valid[/]" if result.valid else "[red]invalid[/]"))
        for prob in result.problems:
            out.print(f"  {'warning' if prob.warning else 'problem'} {prob.code}: {escape(prob.message)} / {escape(prob.message_zh)}")
        for k, v in result.facts.items():
            out.print(f"  {k}: {escape(v)}")
    raise typer.Exit(0 if result.valid else 1)


@app.command("name")
def verify_name(
    name: Annotated[str, typer.Argument(help="The customer's name.")],
    id_number: Annotated[str, typer.Argument(help="Their resident ID number.")],
) -> None:
    """Ask the registry (FINGUARD_IDENTITY_REGISTRY_FILE) whether the name belongs to the number."""
    try:
        with open_platform() as p:
            _, result = identity_for(p).check_name(name, id_number, actor="cli", channel="cli")
    except FinguardError as exc:
        _fail(exc)
    out.print(f"{result.outcome.value}" + (f": {escape(result.detail)}" if result.detail else ""))
    raise typer.Exit(0 if result.outcome.value == "consistent" else 1)


@app.command("face")
def verify_face(
    photo: Annotated[Path, typer.Argument(help="The photo on file (ID photo), JPEG / PNG / WebP.")],
    capture: Annotated[Path, typer.Argument(help="The live capture.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")] = False,
) -> None:
    """1:1 face verification of CAPTURE against PHOTO: match, no_match or retake, with the score and the reason."""
    try:
        limit = IdentitySettings().max_image_bytes
        pictures = _picture(photo, "photo", limit), _picture(capture, "capture", limit)
        with open_platform() as p:
            from finguard.identity.http import adapt_face

            result = adapt_face(identity_for(p).verify_face(*pictures, actor="cli", channel="cli"))
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(result.model_dump()))
    else:
        table = Table("verdict", "reason", "score", "distance", "threshold", "masked")
        score = "—" if result.score is None else f"{result.score:.3f}"
        distance = "—" if result.distance is None else f"{result.distance:.3f}"
        table.add_row(result.verdict, result.reason, score, distance, str(result.threshold or "—"), "yes" if result.masked else "no")
        out.print(table)
        out.print(f"{result.reason_text['zh']}  {result.reason_text['en']}")
    raise typer.Exit(0 if result.verdict == "match" else 1)

"""``flexgw quarantine list|show|release|discard``: upload rows held as conflicts, decided by
an operator through the gateway's ``/v1/ops`` API (same role checks and audit entries as the
console)."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.ops.cli import DEFAULT_URL, Json, Key, Reason, Url, _Api, _print_json, _table

__all__ = ["quarantine_app"]

quarantine_app = typer.Typer(
    help="Quarantined upload rows (conflicts): list, release or discard them.",
    no_args_is_help=True,
)

_COLUMNS = [
    ("SEQ", "seq", 8),
    ("UPLOAD", "upload_id", 36),
    ("LINE", "line", 6),
    ("TYPE", "type", 22),
    ("CONFLICTS WITH", "conflicts_with", 36),
    ("STATE", "state", 9),
]


@quarantine_app.command("list")
def list_command(
    key: Key,
    url: Url = DEFAULT_URL,
    state: Annotated[str, typer.Option(help="held|released|discarded|all")] = "held",
    upload: Annotated[str | None, typer.Option(help="Only this upload's rows.")] = None,
    as_json: Json = False,
) -> None:
    """Quarantined rows, oldest first (held ones unless told otherwise)."""
    found = _Api(url, key).get(
        "/quarantine", state=None if state == "all" else state, upload_id=upload
    )
    if as_json:
        _print_json(found)
        return
    _table(found["items"], _COLUMNS)


@quarantine_app.command("show")
def show_command(seq: int, key: Key, url: Url = DEFAULT_URL) -> None:
    """One row with the values it would publish (BSNs masked)."""
    _print_json(_Api(url, key).get(f"/quarantine/{seq}"))


@quarantine_app.command("release")
def release_command(
    seq: int, reason: Reason, key: Key, url: Url = DEFAULT_URL, as_json: Json = False
) -> None:
    """Publish the row's values, superseding the earlier row's message (ops-admin; audited)."""
    _decide(_Api(url, key), seq, "release", reason, as_json)


@quarantine_app.command("discard")
def discard_command(
    seq: int, reason: Reason, key: Key, url: Url = DEFAULT_URL, as_json: Json = False
) -> None:
    """Never publish the row (ops-admin; audited)."""
    _decide(_Api(url, key), seq, "discard", reason, as_json)


def _decide(api: _Api, seq: int, action: str, reason: str, as_json: bool) -> None:
    result = api.post(f"/quarantine/{seq}/{action}", {"reason": reason})
    if as_json:
        _print_json(result)
        return
    line = f"row {seq} of upload {result['upload_id']}: {result['state']}"
    if result.get("message_id"):
        line += f" as message {result['message_id']}"
    typer.echo(line)

"""``flexgw messages list|show|replay|hold|release``: the ops CLI.

It talks to a running gateway's ``/v1/ops`` API with an ops API key, never to the store
directly: the same role checks, the same audit entries (under the key's client id) and the
same plans as the web console, and it works from an operator's machine.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer

__all__ = ["messages_app"]

messages_app = typer.Typer(
    help="Find, inspect, hold and replay messages (through the gateway's /v1/ops API).",
    no_args_is_help=True,
)

Url = Annotated[str, typer.Option("--url", envvar="FLEXGW_URL", help="Gateway base URL.")]
Key = Annotated[
    str, typer.Option("--key", envvar="FLEXGW_API_KEY", help="An ops API key.", show_default=False)
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
State = Annotated[str | None, typer.Option(help="queued|published|failed|held|replayed")]
Sender = Annotated[str | None, typer.Option(help="Client id of the sender.")]
Channel = Annotated[str | None, typer.Option(help="rest, soap, upload, ...")]
Type = Annotated[str | None, typer.Option("--type", help="Short type, e.g. hours.reported.")]
ErrorCode = Annotated[str | None, typer.Option("--error-code", help="e.g. record-too-large.")]
Since = Annotated[datetime | None, typer.Option(help="Created at or after (ISO 8601).")]
Until = Annotated[datetime | None, typer.Option(help="Created before (ISO 8601).")]
Reason = Annotated[str, typer.Option(help="Why (kept in the audit log).")]

DEFAULT_URL = "http://127.0.0.1:8080"


class _Api:
    def __init__(self, url: str, key: str) -> None:
        import httpx

        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/v1/ops",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, json=body)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            _fail(f"could not reach the gateway: {exc}")
        if response.status_code >= 400:
            try:
                problem = response.json()
                text = f"{problem.get('title')}: {problem.get('detail')}"
                for error in problem.get("errors", [])[:5]:
                    text += f"\n  {error.get('pointer')}: {error.get('detail')}"
            except ValueError:
                text = response.text[:500]
            _fail(f"HTTP {response.status_code} {text}")
        return response.json()


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(1)


@dataclass(frozen=True, slots=True)
class Filters:
    """The filter options of ``list`` and ``replay``, defined once: a command that takes a
    ``filters: Filters`` parameter gets them (see :func:`_with_filters`)."""

    state: State = None
    sender: Sender = None
    channel: Channel = None
    type_: Type = None
    error_code: ErrorCode = None
    since: Since = None
    until: Until = None

    def params(self) -> dict[str, Any]:
        """As the ops API's query parameters (and replay filter), the unset ones left out."""
        return {
            name.rstrip("_"): value.isoformat() if isinstance(value, datetime) else value
            for name, value in asdict(self).items()
            if value is not None
        }


NO_FILTERS = Filters()


def _with_filters(command: Callable[..., None]) -> Callable[..., None]:
    """Typer sees the options of :class:`Filters` where ``command`` has its ``filters``
    parameter (so each command's help keeps its order), and ``command`` gets them as one."""
    signature = inspect.signature(command, eval_str=True)
    hints = inspect.get_annotations(Filters, eval_str=True)
    options = [
        inspect.Parameter(
            f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=hints[f.name]
        )
        for f in fields(Filters)
    ]
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        parameters += options if parameter.name == "filters" else [parameter]

    @functools.wraps(command)
    def with_options(**values: Any) -> None:
        given = {f.name: values.pop(f.name) for f in fields(Filters)}
        command(filters=Filters(**given), **values)

    with_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return with_options


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str, int]]) -> None:
    """Plain fixed-width table: (header, key, max width)."""
    cells = [[_cell(row.get(key), width) for _, key, width in columns] for row in rows]
    widths = [
        max([len(header), *(len(c[i]) for c in cells)]) for i, (header, _, _) in enumerate(columns)
    ]
    typer.echo("  ".join(h.ljust(w) for (h, _, _), w in zip(columns, widths, strict=True)))
    for line in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_json(value: Any) -> None:
    import orjson

    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _answer(result: Any, as_json: bool, line: str) -> None:
    """The API's answer as JSON (``--json``), else the one line a person reads."""
    if as_json:
        _print_json(result)
    else:
        typer.echo(line)


_LIST_COLUMNS = [
    ("SEQ", "seq", 10),
    ("ID", "id", 36),
    ("CREATED", "created_at", 19),
    ("SENDER", "sender", 20),
    ("TYPE", "type", 22),
    ("STATE", "state", 9),
    ("ERROR", "error_code", 28),
    ("TRIES", "attempts", 5),
]


@messages_app.command("list")
@_with_filters
def list_command(
    key: Key,
    url: Url = DEFAULT_URL,
    filters: Filters = NO_FILTERS,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    before: Annotated[int | None, typer.Option(help="Continue below this seq.")] = None,
    as_json: Json = False,
) -> None:
    """List messages, newest first, e.g. `flexgw messages list --state failed`."""
    api = _Api(url, key)
    params = filters.params()
    page = api.get("/messages", limit=limit, before=before, **params)
    if as_json:
        _print_json(page)
        return
    for item in page["items"]:
        item["created_at"] = (item["created_at"] or "")[:19]
    _table(page["items"], _LIST_COLUMNS)
    counts = api.get("/messages/counts", **params)
    more = f"; next page: --before {page['next_before']}" if page["next_before"] else ""
    typer.echo(f"{len(page['items'])} shown of {counts['total']}{more}", err=True)


@messages_app.command("show")
def show_command(
    message_id: Annotated[str, typer.Argument(help="CloudEvent id of the message.")],
    key: Key,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """One message: state, last error, history, masked canonical output."""
    detail = _Api(url, key).get(f"/messages/{message_id}")
    if as_json:
        _print_json(detail)
        return
    m, source = detail["message"], detail["inbound"]
    for label, value in [
        ("id", m["id"]),
        ("type", m["type"]),
        ("state", m["state"]),
        ("attempts", m["attempts"]),
        ("sender", f"{source['sender']} via {source['channel']} ({source['adapter']})"),
        ("received", source["received_at"]),
        ("published", m["published_at"]),
        ("supersedes", m["supersedes"]),
        ("superseded by", ", ".join(detail["superseded_by"]) or None),
        ("held", detail["hold"]["reason"] if detail["hold"] else None),
    ]:
        if value is not None:
            typer.echo(f"{label:>14}: {value}")
    if m["error"]:
        e = m["error"]
        typer.echo(f"{'error':>14}: {e['code']} (at {e['where']}): {e['message']}")
    typer.echo("\nhistory:")
    _table(
        detail["history"],
        [
            ("AT", "at", 32),
            ("STATE", "state", 10),
            ("BY", "actor", 24),
            ("CODE", "code", 24),
            ("DETAIL", "detail", 60),
        ],
    )
    typer.echo("\ncanonical (BSN masked):")
    typer.echo(detail["canonical"])


@messages_app.command("replay")
@_with_filters
def replay_command(
    key: Key,
    message_ids: Annotated[
        list[str] | None, typer.Argument(help="Message ids; or select with the filter options.")
    ] = None,
    url: Url = DEFAULT_URL,
    kind: Annotated[
        str, typer.Option(help="republish (same id) or retranslate (new id, supersedes).")
    ] = "republish",
    reason: Annotated[str | None, typer.Option(help="Why (required to execute; audited).")] = None,
    filters: Filters = NO_FILTERS,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    wait: Annotated[bool, typer.Option(help="Follow the job with a progress bar.")] = True,
    as_json: Json = False,
) -> None:
    """Plan a replay, show the plan, then run it as a job and follow its progress."""
    if kind not in ("republish", "retranslate"):
        _fail("--kind is republish or retranslate")
    flt = filters.params()
    if bool(message_ids) == bool(flt):
        _fail("give message ids, or at least one filter option (e.g. --state failed), not both")
    selection: dict[str, Any] = {"message_ids": message_ids} if message_ids else {"filter": flt}
    api = _Api(url, key)
    plan = api.post("/replays/plan", {"kind": kind, **selection})
    if as_json and dry_run:
        _print_json(plan)
    elif not as_json:
        _show_plan(plan)
    if dry_run or plan["total"] == 0:
        return
    if not reason:
        _fail("--reason is required to run a replay (it goes into the audit log)")
    if not yes and not typer.confirm(f"Replay {plan['total']} message(s)?"):
        raise typer.Exit(1)
    job = api.post(
        "/replays",
        {
            "kind": kind,
            **selection,
            "up_to_seq": plan["max_seq"],
            "reason": reason,
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    typer.echo(f"job {job['id']}: {job['total']} message(s)", err=True)
    if wait:
        job = _follow_job(api, job)
    counts = ", ".join(f"{k} {v}" for k, v in job["counts"].items())
    _answer(job, as_json, f"job {job['id']} {job['state']}: {counts}")
    bad = sum(job["counts"].get(k, 0) for k in ("failed", "error"))
    raise typer.Exit(1 if bad else 0)


def _show_plan(plan: dict[str, Any]) -> None:
    typer.echo(f"{plan['kind']}: {plan['total']} message(s) match", err=True)
    if plan["not_eligible"]:
        typer.echo(f"  {plan['not_eligible']} more match but are not replayable now", err=True)
    for title, counts in [
        ("by state", plan["by_state"]),
        ("by error", plan["by_error_code"]),
        ("by type", plan["by_type"]),
    ]:
        if counts:
            typer.echo(f"  {title}: " + ", ".join(f"{k or '-'} {v}" for k, v in counts.items()))
    typer.echo("  will be: " + ", ".join(f"{k} {v}" for k, v in plan["outcomes"].items()), err=True)
    for why, n in plan["refusals"].items():
        typer.echo(f"    refused ({n}): {why}", err=True)
    if plan["sample"]:
        typer.echo("sample (oldest first, the replay order):")
        _table(plan["sample"], _LIST_COLUMNS)
    for diff in plan["diffs"]:
        typer.echo(
            f"\n{diff['message_id']}: "
            + (diff["error"] or ("changed" if diff["changed"] else "unchanged"))
        )
        if diff["diff"]:
            typer.echo(diff["diff"])


def _follow_job(api: _Api, job: dict[str, Any]) -> dict[str, Any]:
    """A progress bar on a terminal; one line per change otherwise (logs, CI, pipes)."""
    total = max(job["total"], 1)
    if not sys.stderr.isatty():
        shown = -1
        while True:
            job = api.get(f"/replays/{job['id']}")
            if job["done"] != shown:
                shown = job["done"]
                typer.echo(f"replaying: {shown}/{job['total']} ({100 * shown // total}%)", err=True)
            if job["state"] in ("done", "cancelled"):
                return job
            time.sleep(0.5)
    with typer.progressbar(length=total, label="replaying", file=sys.stderr, show_pos=True) as bar:
        shown = 0
        while True:
            job = api.get(f"/replays/{job['id']}")
            bar.update(job["done"] - shown)
            shown = job["done"]
            if job["state"] in ("done", "cancelled"):
                return job
            time.sleep(0.5)


@messages_app.command("hold")
def hold_command(
    message_id: Annotated[str, typer.Argument(help="The message; its person key is held.")],
    key: Key,
    reason: Reason,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Hold a message and every later message of the same person until released."""
    result = _Api(url, key).post("/holds", {"message_id": message_id, "reason": reason})
    held = len(result["changed"])
    _answer(result, as_json, f"hold {result['hold_id']} on {message_id}; held now: {held}")


@messages_app.command("release")
def release_command(
    message_id: Annotated[str, typer.Argument(help="A message of the held person.")],
    key: Key,
    reason: Reason,
    url: Url = DEFAULT_URL,
    as_json: Json = False,
) -> None:
    """Release the hold on a message's person key; its messages go out in order."""
    result = _Api(url, key).post(f"/messages/{message_id}/release", {"reason": reason})
    queued = len(result["changed"])
    _answer(result, as_json, f"released hold {result['hold_id']}; queued again: {queued}")

"""``flexgw``: run the gateway, its relay and its local Kafka; try a message by hand."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.ops.cli import messages_app
from gateway.ops.cli_quarantine import quarantine_app
from gateway.settings import Settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="flexgw",
    help="Flextensie data-exchange gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
kafka_app = typer.Typer(
    help="A local Apache Kafka broker (KRaft, single node).", no_args_is_help=True
)
topics_app = typer.Typer(help="The gateway's Kafka topics.", no_args_is_help=True)
clients_app = typer.Typer(help="API clients.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(kafka_app, name="kafka")
kafka_app.add_typer(topics_app, name="topics")
app.add_typer(clients_app, name="clients")
app.add_typer(messages_app, name="messages")
app.add_typer(quarantine_app, name="quarantine")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Overrides FLEXGW_DATA_DIR.", show_default=False)
]


def _settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValueError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


def _say(message: str) -> None:
    typer.echo(message, err=True)


# --- serve / relay -----------------------------------------------------------------------
@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Overrides FLEXGW_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides FLEXGW_PORT.")] = None,
    relay: Annotated[
        bool | None,
        typer.Option(
            "--relay/--no-relay",
            help="Run the relay inside this process [FLEXGW_RELAY_ENABLED, default yes].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the HTTP gateway (and, by default, the relay to Kafka)."""
    _serve(_settings(data_dir, host=host, port=port, relay_enabled=relay))


def _serve(settings: Settings) -> None:
    import uvicorn

    from gateway.app import create_app
    from gateway.auth import ClientsFileError
    from gateway.channels import ChannelSetupError
    from gateway.log import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    _tune_gc()
    try:
        application = create_app(settings)
    except (ClientsFileError, ChannelSetupError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=15,
    )


@app.command("relay")
def relay_command(data_dir: DataDir = None) -> None:
    """Run only the relay (outbox -> Kafka), e.g. beside `serve --no-relay`."""
    from gateway.kafka_client import TopicGuard
    from gateway.log import configure_logging
    from gateway.metrics import Metrics
    from gateway.relay import Relay, producer_factory
    from gateway.store import Store, upgrade

    settings = _settings(data_dir)
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> None:
        store = Store(settings.resolved_database_url, busy_seconds=settings.store_busy_seconds)
        await upgrade(store)
        relay = Relay(
            store=store,
            settings=settings,
            metrics=Metrics(),
            make_producer=producer_factory(settings),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        guard = TopicGuard(settings, on_fit=relay.start)
        if settings.kafka_topics_ensure:
            guard.start()  # the relay starts once the topics meet the minimums
        else:
            relay.start()
        await stop.wait()
        await guard.stop()
        await relay.stop()
        await store.dispose()

    asyncio.run(run())


# --- db --------------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, revision: str = "heads") -> None:
    """Create or migrate the store's tables."""
    from gateway.store import Store, upgrade

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def run() -> None:
        store = Store(settings.resolved_database_url, busy_seconds=settings.store_busy_seconds)
        try:
            await upgrade(store, revision)
        finally:
            await store.dispose()

    asyncio.run(run())
    _say(f"store at revision {revision}: {_redact(settings.resolved_database_url)}")


# --- kafka -----------------------------------------------------------------------------------
KafkaHome = Annotated[Path | None, typer.Option(help="Broker state directory [data-dir/kafka].")]
KafkaPort = Annotated[int, typer.Option(help="Client port on 127.0.0.1.")]


def _local_kafka(data_dir: Path | None, home: Path | None, port: int) -> Any:
    from gateway.localkafka import LocalKafka

    settings = _settings(data_dir)
    return LocalKafka(
        home=home or settings.data_dir / "kafka",
        cache=Path.home() / ".cache" / "flexgw",
        port=port,
        controller_port=port + 1,
        java_home=settings.java_home,
    )


@kafka_app.command("up")
def kafka_up(data_dir: DataDir = None, home: KafkaHome = None, port: KafkaPort = 9092) -> None:
    """Fetch Kafka with mvn (first time), format KRaft storage, start, wait until ready."""
    from gateway.localkafka import KafkaError

    broker = _local_kafka(data_dir, home, port)
    try:
        broker.up(say=_say)
    except KafkaError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(broker.bootstrap)


@kafka_app.command("down")
def kafka_down(data_dir: DataDir = None, home: KafkaHome = None, port: KafkaPort = 9092) -> None:
    """Stop the local broker (its data stays for the next `up`)."""
    broker = _local_kafka(data_dir, home, port)
    _say("Kafka stopped" if broker.down() else "Kafka was not running")


@kafka_app.command("status")
def kafka_status(data_dir: DataDir = None, home: KafkaHome = None, port: KafkaPort = 9092) -> None:
    broker = _local_kafka(data_dir, home, port)
    running = broker.is_running()
    typer.echo(f"{'running' if running else 'stopped'} {broker.bootstrap}")
    raise typer.Exit(0 if running else 1)


@kafka_app.command("tail")
def kafka_tail(
    topic: Annotated[str, typer.Option(help="Topic to read.")] = "flextensie.placements.v1",
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers [FLEXGW_KAFKA_BOOTSTRAP_SERVERS].")
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest record instead.")
    ] = False,
    limit: Annotated[
        int,
        typer.Option(
            min=0,
            help="How many records: the newest N, or with --from-beginning the oldest N "
            "(0: every record from the start on, or only new ones, until Ctrl-C).",
        ),
    ] = 10,
) -> None:
    """Print records of a topic (key, ce_* headers, value) as JSON lines, as a consumer sees
    them: by default the newest --limit records, in the order they were written. Ctrl-C stops."""
    import json

    from aiokafka import AIOKafkaConsumer, TopicPartition

    from gateway.kafka_client import client_options

    # TLS and SASL as configured for the gateway (FLEXGW_KAFKA_*).
    settings = _settings(kafka_bootstrap_servers=bootstrap)
    bootstrap = settings.kafka_bootstrap_servers

    def show(record: Any) -> None:
        typer.echo(
            json.dumps(
                {
                    "partition": record.partition,
                    "offset": record.offset,
                    "timestamp": record.timestamp,
                    "key": record.key.decode() if record.key else None,
                    "headers": {k: v.decode() for k, v in record.headers},
                    "value": json.loads(record.value) if record.value else None,
                },
                ensure_ascii=False,
            )
        )

    async def newest(consumer: Any, partitions: list[Any]) -> None:
        # Each partition from its end minus a window; the newest N of the union by write time.
        # Transaction markers take offsets too (the relay publishes in transactions), so the
        # window doubles until it holds N records or reaches the start of every partition.
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        window = limit
        while True:
            records = await read_window(consumer, partitions, starts, ends, window)
            if len(records) >= limit or all(ends[tp] - window <= starts[tp] for tp in partitions):
                break
            window *= 2
        records.sort(key=lambda r: (r.timestamp, r.partition, r.offset))
        for record in records[-limit:]:
            show(record)

    async def read_window(
        consumer: Any, partitions: list[Any], starts: Any, ends: Any, window: int
    ) -> list[Any]:
        for tp in partitions:
            consumer.seek(tp, max(starts[tp], ends[tp] - window))
        records: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        pending = set(partitions)
        while pending and loop.time() < deadline:
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
            if not pending:
                break
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, found in batch.items():
                records.extend(r for r in found if r.offset < ends[tp])
        return records

    async def run() -> None:
        # read_committed: records of a fenced relay's aborted transactions are not shown.
        consumer = AIOKafkaConsumer(
            **client_options(settings),
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            # The consumer's own metadata (``topics()`` answers from a copy it keeps apart).
            await consumer._client.force_metadata_update()
            found = consumer.partitions_for_topic(topic)
            if not found:
                typer.secho(f"no topic {topic} on {bootstrap} (yet)", fg="yellow", err=True)
                raise typer.Exit(1)
            partitions = [TopicPartition(topic, p) for p in sorted(found)]
            consumer.assign(partitions)
            if not from_beginning and limit:
                await newest(consumer, partitions)
                return
            if from_beginning:
                await consumer.seek_to_beginning(*partitions)
            else:
                await consumer.seek_to_end(*partitions)
            seen = 0
            async for record in consumer:
                show(record)
                seen += 1
                if limit and seen >= limit:
                    break
        finally:
            await consumer.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@topics_app.command("ensure")
def kafka_topics_ensure(
    data_dir: DataDir = None,
    check_only: Annotated[
        bool, typer.Option("--check", help="Only compare existing topics; create nothing.")
    ] = False,
) -> None:
    """Create the gateway's topics (default, routed, dead-letter) with the configured
    partitions, replication factor, min.insync.replicas, retention and compression, and check
    existing ones against those minimums (FLEXGW_KAFKA_TOPIC_*). Exit 1 when one breaks them."""
    import json

    from gateway.kafka_client import ensure_topics
    from gateway.log import configure_logging

    settings = _settings(data_dir)
    configure_logging(settings.log_level, settings.log_format)  # stderr; stdout is the report
    try:
        reports = asyncio.run(ensure_topics(settings, create=not check_only))
    except Exception as exc:
        typer.secho(f"Kafka: {type(exc).__name__}: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    for report in reports:
        typer.echo(
            json.dumps(
                {
                    "topic": report.name,
                    "created": report.created,
                    "partitions": report.partitions,
                    "replication_factor": report.replication_factor,
                    "configs": report.configs,
                    "violations": report.violations,
                }
            )
        )
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


@kafka_app.command(
    "tools",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def kafka_tools(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help="kafka-console-consumer, kafka-console-producer, kafka-topics, kafka-configs, "
            "kafka-consumer-groups or kafka-get-offsets (the kafka- prefix may be left off)."
        ),
    ],
) -> None:
    """Run one of Kafka's own command-line tools from the fetched jars, as bin/NAME.sh of a
    Kafka download: the arguments after NAME go to the tool unchanged, e.g.
    `flexgw kafka tools kafka-topics --bootstrap-server 127.0.0.1:9092 --list`."""
    import subprocess

    from gateway.localkafka import KafkaError

    broker = _local_kafka(None, None, 9092)
    try:
        broker.fetch(say=_say)
        command = broker.tool_command(name, list(ctx.args))
    except KafkaError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    try:
        code = subprocess.run(command, check=False).returncode  # noqa: S603 - no shell
    except KeyboardInterrupt:
        code = 0  # the console consumer runs until Ctrl-C: a normal end
    raise typer.Exit(code)


# --- clients ---------------------------------------------------------------------------------
@clients_app.command("add")
def clients_add(
    client_id: Annotated[str, typer.Argument(help="e.g. gemeente-amsterdam")],
    role: Annotated[str, typer.Option(help="municipality | agency | ops-viewer | ops-admin")],
    gemeentecode: Annotated[str | None, typer.Option(help="For a municipality.")] = None,
    kvk: Annotated[str | None, typer.Option(help="For an agency.")] = None,
    agency: Annotated[
        list[str] | None,
        typer.Option(help="For a municipality: KvK of an agency it works with (repeatable)."),
    ] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    data_dir: DataDir = None,
) -> None:
    """Create a client with a new API key; the key is printed once, only its hash is kept."""
    from gateway.clients_file import ClientsFileError, add_client

    settings = _settings(data_dir)
    try:
        key = add_client(
            settings.resolved_clients_file,
            client_id=client_id,
            role=role,
            gemeentecode=gemeentecode,
            kvk=kvk,
            agencies=tuple(agency or ()),
            name=name,
        )
    except ClientsFileError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    _say(f"added {client_id} to {settings.resolved_clients_file}; its API key (shown once):")
    typer.echo(key)


# --- send ------------------------------------------------------------------------------------
@app.command()
def send(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON message(s).")],
    key: Annotated[str, typer.Option(envvar="FLEXGW_API_KEY", help="API key.")],
    url: Annotated[str, typer.Option(help="Gateway base URL.")] = "http://127.0.0.1:8080",
    idempotency_key: Annotated[str | None, typer.Option(help="Idempotency-Key header.")] = None,
) -> None:
    """POST a canonical JSON file to /v1/messages and print the answer."""
    import httpx

    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    try:
        response = httpx.post(
            f"{url.rstrip('/')}/v1/messages", content=file.read_bytes(), headers=headers, timeout=60
        )
    except httpx.HTTPError as exc:
        typer.secho(f"could not reach the gateway at {url}: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"HTTP {response.status_code}", err=True)
    typer.echo(response.text)
    raise typer.Exit(0 if response.status_code < 300 else 1)


# --- dev: the one command of the README ------------------------------------------------------
@app.command()
def dev(
    data_dir: DataDir = None,
    port: Annotated[int | None, typer.Option(help="HTTP port [8080].")] = None,
    kafka_port: Annotated[int, typer.Option(help="Local Kafka port.")] = 9092,
) -> None:
    """Local run: start Kafka, create demo clients, migrate SQLite, serve. Ctrl-C stops all."""
    from gateway.clients_file import ensure_demo_clients

    settings = _settings(data_dir, port=port, kafka_bootstrap_servers=f"127.0.0.1:{kafka_port}")
    from gateway.localkafka import KafkaError

    broker = _local_kafka(data_dir, None, kafka_port)
    try:
        broker.up(say=_say)
    except KafkaError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None
    keys = ensure_demo_clients(settings.resolved_clients_file, settings.data_dir / "demo-keys.txt")
    base = f"http://{settings.host}:{settings.port}"
    _say(
        "\n".join(
            [
                "",
                f"Gateway: {base}   (OpenAPI: {base}/docs, health: {base}/readyz)",
                f"Kafka:   {broker.bootstrap}   topic {settings.default_topic}",
                f"Store:   {_redact(settings.resolved_database_url)}",
                f"Demo API keys ({settings.data_dir / 'demo-keys.txt'}):",
                *(f"  {client:<24} {secret}" for client, secret in keys.items()),
                "Send a first message:",
                f"  curl -sS -X POST {base}/v1/messages -H 'Content-Type: application/json' \\",
                f"    -H 'Authorization: Bearer {keys.get('gemeente-amsterdam', '<key>')}' \\",
                "    --data @docs/examples/candidate.enrolled.json",
                "",
            ]
        )
    )
    # uvicorn re-raises the signal that stopped it once it has shut down; turned into an
    # exit here, so that SIGTERM (not only Ctrl-C) also stops the broker below. SIGTERM is the
    # ordinary way to stop a service (make, systemd, a container): a clean stop exits 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _serve(settings)
    finally:
        with contextlib.suppress(Exception):
            broker.down()
            _say("Kafka stopped")


def _tune_gc() -> None:
    """A long-running server allocates many short-lived objects per message (parsed JSON,
    models) next to a large, stable heap (libraries, metadata). The default thresholds make
    the collector walk that heap every few hundred allocations; a higher first threshold
    cuts that cost several times without letting garbage pile up."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

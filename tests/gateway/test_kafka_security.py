"""Acceptance 5 of issue 10: the relay publishes over mutual TLS and over SASL_SSL (SCRAM) to a
real broker with those listeners; a wrong client certificate or password fails readiness with
a clear reason and a log line, and loses nothing: the message stays queued and is published
once a relay with the right settings runs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from typer.testing import CliRunner

from gateway.cli import app
from gateway.kafka_client import client_options, probe_kafka
from gateway.localkafka import LocalKafka
from gateway.log import configure_logging
from gateway.settings import Settings
from tests.conftest import GatewayFactory, new_broker
from tests.kafka_reader import TopicMissingError, read_topic
from tests.ops.helpers import report_on_dlq
from tests.samples import placement_started
from tests.services.postgres import free_port
from tests.tls_certs import Pki, make_pki

pytestmark = pytest.mark.kafka

SCRAM_USER = ("flexgw", "s3cret-for-tests")


@pytest.fixture(scope="module")
def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalKafka, Pki]]:
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    plain = new_broker(tmp_path_factory.mktemp("kafka-secure"))
    ports = {plain.port, plain.controller_port}
    extra: list[int] = []
    while len(extra) < 2:
        port = free_port()
        if port not in ports:
            ports.add(port)
            extra.append(port)
    broker = LocalKafka(
        home=plain.home,
        cache=plain.cache,
        port=plain.port,
        controller_port=plain.controller_port,
        tls=pki.broker,
        ssl_port=extra[0],
        sasl_ssl_port=extra[1],
        scram_users=(SCRAM_USER,),
    )
    broker.up()  # raises (fails the tests) when Kafka cannot start
    yield broker, pki
    broker.down()


def mutual_tls(broker: LocalKafka, pki: Pki, *, stranger: bool = False) -> dict[str, Any]:
    return {
        "kafka_bootstrap_servers": f"127.0.0.1:{broker.ssl_port}",
        "kafka_security_protocol": "SSL",
        "kafka_ssl_cafile": pki.ca,
        "kafka_ssl_certfile": pki.stranger_cert if stranger else pki.client_cert,
        "kafka_ssl_keyfile": pki.stranger_key if stranger else pki.client_key,
    }


def scram(broker: LocalKafka, pki: Pki, *, password: str = SCRAM_USER[1]) -> dict[str, Any]:
    return {
        "kafka_bootstrap_servers": f"127.0.0.1:{broker.sasl_ssl_port}",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_ssl_cafile": pki.ca,
        "kafka_sasl_mechanism": "SCRAM-SHA-256",
        "kafka_sasl_username": SCRAM_USER[0],
        "kafka_sasl_password": password,
    }


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 60.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.2)


async def readyz(gw: Any) -> dict[str, Any]:
    response = await gw.client.get("/readyz")
    body: dict[str, Any] = response.json()
    body["http_status"] = response.status_code
    return body


@pytest.mark.parametrize("how", ["ssl", "sasl_ssl"])
async def test_relay_publishes_over_secured_listener(
    make_gateway: GatewayFactory, secure_kafka: tuple[LocalKafka, Pki], how: str
) -> None:
    broker, pki = secure_kafka
    security = mutual_tls(broker, pki) if how == "ssl" else scram(broker, pki)
    topic = f"test.{uuid.uuid4().hex[:12]}"
    dlq = f"{topic}.dlq"
    async with make_gateway(
        kafka=broker, default_topic=topic, dlq_topic=dlq, dlq_poll_seconds=0.2, **security
    ) as gw:
        response = await gw.post(placement_started(), as_client="flexwerk-uitzend")
        assert response.status_code == 202
        [message_id] = response.json()["message_ids"]
        await gw.wait_drained()
        assert await gw.count("published") == 1
        ready = await until(
            lambda: _ready_when(gw, lambda body: body["http_status"] == 200), timeout=30
        )
        assert ready["checks"]["kafka"] == {"ok": True}

        # The dead-letter consumer reads over the same secured listener.
        await report_on_dlq(
            broker.bootstrap,
            dlq,
            {
                "ce_id": message_id,
                "__connect.errors.exception.class.name": "nl.backoffice.UnknownAssignment",
                "__connect.errors.exception.message": "assignment not known",
            },
        )
        await until(lambda: gw.count("failed"), timeout=30)

    # Read back over the plain listener: the record is there, once.
    assert (await read_topic(broker.bootstrap, topic)).ce_ids() == [message_id]

    # `flexgw kafka tail` connects with the same settings (FLEXGW_KAFKA_*).
    env = {f"FLEXGW_{name.upper()}": str(value) for name, value in security.items()}
    tail = await asyncio.to_thread(
        CliRunner().invoke, app, ["kafka", "tail", "--topic", topic, "--limit", "1"], env=env
    )
    assert tail.exit_code == 0, tail.output
    [line] = tail.stdout.splitlines()
    assert orjson.loads(line)["headers"]["ce_id"] == message_id


@pytest.mark.parametrize("how", ["stranger-certificate", "wrong-password"])
async def test_wrong_credentials_fail_readiness_and_lose_nothing(
    make_gateway: GatewayFactory,
    secure_kafka: tuple[LocalKafka, Pki],
    how: str,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    broker, pki = secure_kafka
    configure_logging("info", "json")  # structlog through stdlib logging, as in production
    request.addfinalizer(_logging_reset)
    topic = f"test.{uuid.uuid4().hex[:12]}"
    if how == "stranger-certificate":
        wrong, right = mutual_tls(broker, pki, stranger=True), mutual_tls(broker, pki)
    else:
        wrong, right = scram(broker, pki, password="not-the-password"), scram(broker, pki)

    async with make_gateway(kafka=broker, default_topic=topic, **wrong) as gw:
        response = await gw.post(placement_started(), as_client="flexwerk-uitzend")
        assert response.status_code == 202
        [message_id] = response.json()["message_ids"]
        body = await until(
            lambda: _ready_when(gw, lambda b: "reason" in b["checks"]["kafka"]), timeout=30
        )
        assert body["http_status"] == 503
        reason = body["checks"]["kafka"]["reason"]
        assert gw.ctx.relay is not None
        assert not gw.ctx.relay.broker_ok
        assert await gw.count("queued") == 1
        assert await gw.count("published") == 0
    if how == "stranger-certificate":
        assert "TLS handshake failed" in reason and "client certificate" in reason
    else:
        assert "SASL authentication failed" in reason
    assert str(broker.sasl_ssl_port if how == "wrong-password" else broker.ssl_port) in reason
    assert SCRAM_USER[1] not in reason and "not-the-password" not in reason
    logged = [
        line
        for line in map(orjson.loads, capsys.readouterr().err.splitlines())
        if line.get("event") == "kafka_not_ready"
    ]
    assert logged and logged[0]["reason"] == reason
    # The relay never reached the broker: the topic was not even created.
    with pytest.raises(TopicMissingError):
        await read_topic(broker.bootstrap, topic, timeout=3)

    # Settings fixed, a new relay on the same store: the queued message goes out, once.
    async with make_gateway(kafka=broker, default_topic=topic, **right) as gw:
        await gw.wait_drained()
        assert await gw.count("published") == 1
        await until(lambda: _ready_when(gw, lambda b: b["http_status"] == 200), timeout=30)
    assert (await read_topic(broker.bootstrap, topic)).ce_ids() == [message_id]


def _logging_reset() -> None:
    # configure_logging bound a handler to this test's captured stderr, closed after it.
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


async def _ready_when(gw: Any, predicate: Callable[[dict[str, Any]], bool]) -> Any:
    body = await readyz(gw)
    return body if predicate(body) else None


def test_client_options_carry_tls_and_sasl(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    settings = Settings(
        _env_file=None,
        kafka_bootstrap_servers="kafka-1:9093,kafka-2:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_cafile=pki.ca,
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="gw",
        kafka_sasl_password="pw",
    )
    options = client_options(settings)
    assert options["bootstrap_servers"] == "kafka-1:9093,kafka-2:9093"
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("gw", "pw")
    assert options["ssl_context"].check_hostname
    plain = client_options(Settings(_env_file=None))
    assert plain == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "FLEXGW_KAFKA_SASL_USERNAME"),
        ({"kafka_ssl_certfile": "client.pem"}, "FLEXGW_KAFKA_SSL_KEYFILE"),
        (
            {"kafka_topic_replication_factor": 1, "kafka_topic_min_insync_replicas": 2},
            "MIN_INSYNC_REPLICAS",
        ),
    ],
)
def test_incomplete_kafka_security_settings_are_refused(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(_env_file=None, **values)


async def test_probe_names_an_untrusted_broker_certificate(
    secure_kafka: tuple[LocalKafka, Pki],
) -> None:
    broker, pki = secure_kafka
    settings = Settings(
        _env_file=None,
        # Trusting only another CA's certificate: the broker's own is not trusted.
        **{**mutual_tls(broker, pki), "kafka_ssl_cafile": pki.stranger_cert},
    )
    reason = await probe_kafka(settings, seconds=5)
    assert reason is not None
    assert f"127.0.0.1:{broker.ssl_port}: TLS: the broker's certificate is not trusted" in reason
    assert await probe_kafka(Settings(_env_file=None, **mutual_tls(broker, pki))) is None

"""A real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1, for the local run
and the tests. Jars come from Maven Central with ``mvn`` into a cache and are reused; the
broker runs on the machine's Java. No Docker.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KAFKA_TOOLS", "KAFKA_VERSION", "BrokerTls", "KafkaError", "LocalKafka"]

KAFKA_VERSION = "4.4.0"
POM = Path(__file__).with_name("pom.xml")

#: Kafka's command-line tools (the ``bin/kafka-*.sh`` of a Kafka download) by script name,
#: run from the fetched jars by ``flexgw kafka tools NAME``.
KAFKA_TOOLS = {
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-configs": "org.apache.kafka.tools.ConfigCommand",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
}


class KafkaError(RuntimeError):
    pass


@dataclass(frozen=True)
class BrokerTls:
    """PEM files of a broker's TLS listeners (KIP-651): ``keystore`` holds the broker's private
    key (unencrypted PKCS#8) and certificate chain, ``truststore`` the CA(s) whose client
    certificates the broker accepts."""

    keystore: Path
    truststore: Path


@dataclass(frozen=True)
class LocalKafka:
    """``home`` holds config, data, log and pid of one broker; ``cache`` the jars (shared)."""

    home: Path
    cache: Path
    port: int = 9092
    controller_port: int = 9093
    partitions: int = 3
    heap: str = "512m"
    version: str = KAFKA_VERSION
    #: A JDK to use instead of the ``java`` on PATH (FLEXGW_JAVA_HOME).
    java_home: Path | None = None
    #: Extra listeners beside PLAINTEXT (the tests of TLS and SASL): ``ssl_port`` an SSL
    #: listener that requires a client certificate (mutual TLS), ``sasl_ssl_port`` a SASL_SSL
    #: listener with SCRAM-SHA-256 for ``scram_users`` (name, password), whose credentials are
    #: written when the storage is formatted. Both need ``tls``.
    tls: BrokerTls | None = None
    ssl_port: int | None = None
    sasl_ssl_port: int | None = None
    scram_users: tuple[tuple[str, str], ...] = ()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def libs(self) -> Path:
        # Keyed by the pom too: a pom that gains a dependency gets a fresh directory instead
        # of a stale one (or of replacing jars under a broker that is running from them).
        pom = hashlib.sha256(POM.read_bytes()).hexdigest()[:10]
        return self.cache / f"kafka-{self.version}-{pom}" / "libs"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def _pid_file(self) -> Path:
        return self.home / "broker.pid"

    # --- jars ------------------------------------------------------------------------------
    def fetch(self, say: Callable[[str], None] = lambda _m: None) -> Path:
        marker = self.libs / ".complete"
        if marker.exists():
            return self.libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaError("mvn not found: install Maven (Debian: apt-get install maven)")
        say(f"fetching Apache Kafka {self.version} from Maven Central into {self.libs} ...")
        staging = self.libs.with_name("libs.partial")
        shutil.rmtree(staging, ignore_errors=True)
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
                f"-Dkafka.version={self.version}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise KafkaError(
                f"mvn could not fetch Kafka:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
        shutil.rmtree(self.libs, ignore_errors=True)
        staging.rename(self.libs)
        marker.touch()
        return self.libs

    # --- lifecycle -------------------------------------------------------------------------
    def up(self, timeout: float = 90.0, say: Callable[[str], None] = lambda _m: None) -> None:
        if self.is_running():
            say(f"Kafka already running on {self.bootstrap}")
            return
        if _port_open(self.port):
            raise KafkaError(f"port {self.port} is taken by another process")
        self.fetch(say)
        java = _java(self.java_home)
        self.home.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        if not (self.home / "data" / "meta.properties").exists():
            say("formatting KRaft storage ...")
            result = subprocess.run(  # noqa: S603
                [
                    java,
                    "-cp",
                    str(self.libs / "*"),
                    *self._jvm_flags(small=True),
                    "kafka.tools.StorageTool",
                    "format",
                    "-c",
                    str(config),
                    f"--cluster-id={_cluster_id()}",
                    "--ignore-formatted",
                    *self._scram_flags(),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise KafkaError(f"formatting storage failed:\n{result.stdout}{result.stderr}")
        say(f"starting Kafka {self.version} on {self.bootstrap} ...")
        log = self.log_file.open("ab")
        process = subprocess.Popen(  # noqa: S603
            [java, "-cp", str(self.libs / "*"), *self._jvm_flags(), "kafka.Kafka", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the shell that started it; `down` stops it
        )
        log.close()
        # Reaps the broker in the process that started it (e.g. `flexgw dev`), whoever stops
        # it: an unreaped child stays a zombie, which looks alive to everyone else.
        threading.Thread(target=process.wait, name="kafka-reaper", daemon=True).start()
        self._pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None or process.returncode is not None:
                raise KafkaError(f"Kafka exited with {process.returncode}:\n{self._log_tail()}")
            # Kafka opens the client port only once the broker is unfenced: ready.
            if _port_open(self.port):
                say(f"Kafka is ready on {self.bootstrap}")
                return
            time.sleep(0.2)
        self.down()
        raise KafkaError(
            f"Kafka did not open port {self.port} in {timeout:.0f}s:\n{self._log_tail()}"
        )

    def down(self, timeout: float = 30.0) -> bool:
        """Stops the broker (SIGTERM, then SIGKILL); False when none was running."""
        pid = self._pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self._pid_file.unlink(missing_ok=True)
        return True

    def tool_command(self, name: str, args: list[str]) -> list[str]:
        """The command line that runs one of Kafka's own tools (``KAFKA_TOOLS``) from the
        fetched jars, as ``bin/NAME.sh ARGS`` of a Kafka download would."""
        main_class = KAFKA_TOOLS.get(name if name.startswith("kafka-") else f"kafka-{name}")
        if main_class is None:
            raise KafkaError(f"unknown tool {name!r}; known: {', '.join(sorted(KAFKA_TOOLS))}")
        java = _java(self.java_home)
        return [java, "-cp", str(self.libs / "*"), *self._jvm_flags(small=True), main_class, *args]

    def is_running(self) -> bool:
        pid = self._pid()
        return pid is not None and _alive(pid) and _port_open(self.port)

    # --- internals -------------------------------------------------------------------------
    def _pid(self) -> int | None:
        try:
            pid = int(self._pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def _jvm_flags(self, small: bool = False) -> list[str]:
        heap = "128m" if small else self.heap
        return [
            f"-Xmx{heap}",
            f"-Xms{heap if small else '256m'}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
        ]

    def _write_config(self) -> Path:
        path = self.home / "server.properties"
        data = self.home / "data"
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(data),
            "num.partitions": str(self.partitions),
            "auto.create.topics.enable": "true",
            # A single node: every internal topic at replication 1, or idempotence,
            # transactions and consumer groups do not work.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "log.retention.hours": "24",
        }
        lines.update(self._secure_listeners(lines))
        path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()), encoding="utf-8")
        return path

    def _secure_listeners(self, base: dict[str, str]) -> dict[str, str]:
        ports = [("SSL", self.ssl_port), ("SASL_SSL", self.sasl_ssl_port)]
        named = [(name, port) for name, port in ports if port is not None]
        if not named:
            return {}
        if self.tls is None:
            raise KafkaError("an SSL or SASL_SSL listener needs BrokerTls (keystore, truststore)")
        endpoints = ",".join(f"{name}://127.0.0.1:{port}" for name, port in named)
        protocols = ",".join(f"{name}:{name}" for name, _port in named)
        extra = {
            "listeners": f"{base['listeners']},{endpoints}",
            "advertised.listeners": f"{base['advertised.listeners']},{endpoints}",
            "listener.security.protocol.map": (
                f"{base['listener.security.protocol.map']},{protocols}"
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.tls.keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.tls.truststore),
        }
        if self.ssl_port is not None:
            extra["listener.name.ssl.ssl.client.auth"] = "required"
        if self.sasl_ssl_port is not None:
            extra["sasl.enabled.mechanisms"] = "SCRAM-SHA-256"
            extra["listener.name.sasl_ssl.sasl.enabled.mechanisms"] = "SCRAM-SHA-256"
            extra["listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"] = (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            )
        return extra

    def _scram_flags(self) -> list[str]:
        # KRaft keeps SCRAM credentials in the metadata log: written at format time (KIP-900).
        return [
            arg
            for name, password in self.scram_users
            for arg in ("--add-scram", f"SCRAM-SHA-256=[name={name},password={password}]")
        ]

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _java(java_home: Path | None) -> str:
    candidate = java_home / "bin" / "java" if java_home else None
    if candidate is not None and candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise KafkaError("java not found: install a JDK 17+ (Debian: openjdk-17-jre-headless)")
    return found


def _cluster_id() -> str:
    while True:
        cid = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    # A zombie of another process (the broker of a running `flexgw dev`, stopped from a second
    # shell) has exited all the same: only its parent can reap it.
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (not Linux) or already gone
    # "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ')'.
    return stat.rpartition(")")[2].split()[:1] == ["Z"]

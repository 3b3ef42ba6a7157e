"""Local Apache Kafka broker for development and tests (``flexgw kafka up|down``)."""

from gateway.localkafka.broker import KAFKA_VERSION, BrokerTls, KafkaError, LocalKafka

__all__ = ["KAFKA_VERSION", "BrokerTls", "KafkaError", "LocalKafka"]

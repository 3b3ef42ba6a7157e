"""Real services the tests start themselves: Kafka and PostgreSQL."""

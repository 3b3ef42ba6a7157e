"""The gateway: transport, durable intake, relay to Kafka, operations."""

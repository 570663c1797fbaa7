"""Convene's common package: what all three services share (envelope, outbox, inbox,
Kafka wiring, auth, errors, config)."""

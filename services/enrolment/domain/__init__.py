"""Enrolment's domain: pure rules over plain values, one module per subject (reference codes,
ODS imports, participants, offers, enrolments, completion). No Flask, SQLAlchemy, Kafka or I/O."""

"""Scheduling's tables: its projection of enrolment's offers, and its own sessions."""
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

offers = Table(
    "offers",
    metadata,
    Column("offer_id", String(36), primary_key=True),
    Column("region", String(10), nullable=False, index=True),
    Column("offer_type", String(40), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(20), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("offer_id", String(36), nullable=False, index=True),
    Column("region", String(10), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("status", String(20), nullable=False),
)

"""Feedback's tables: its projection of scheduling's sessions."""
from sqlalchemy import Column, DateTime, MetaData, String, Table

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("offer_id", String(36), nullable=False, index=True),
    Column("region", String(10), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
)

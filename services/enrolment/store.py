"""Enrolment's tables and the queries its service layer uses."""
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

offers = Table(
    "offers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(10), nullable=False, index=True),
    Column("offer_type", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

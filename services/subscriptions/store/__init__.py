"""The subscriptions service's store: the tables (tables.py), subscriptions and their deliveries."""

from services.subscriptions.store.tables import metadata

__all__ = ["metadata"]

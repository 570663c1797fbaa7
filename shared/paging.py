"""A page of a list: the items asked for, and how many there are in all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Page:
    items: list
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list, total: int, query: dict) -> Page:
        """The page `query` (its `limit` and `offset`, shared.api.PageQuery) asked for."""
        return cls(items, total, query["limit"], query["offset"])

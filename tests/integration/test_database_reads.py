"""`Database.read` on PostgreSQL runs its statements outside a transaction (autocommit: no BEGIN
or COMMIT round trips), and the pooled connection it used is transactional again afterwards, so
a write transaction that fails on it still leaves nothing behind."""

import time

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, text

from shared.db import Database


def _database(url: str) -> tuple[Database, Table]:
    metadata = MetaData()
    things = Table("things", metadata, Column("id", Integer, primary_key=True))
    db = Database(url, metadata, pool_size=1, max_overflow=0)  # one connection: each use reuses it
    db.create_schema()
    return db, things


@pytest.mark.parametrize("databases", ["postgres"], indirect=True)
def test_on_postgresql_each_statement_of_a_read_is_its_own_transaction(databases):
    db, _ = _database(databases.new("reads"))
    try:
        with db.read() as conn:
            first = conn.execute(text("SELECT now()")).scalar_one()
            time.sleep(0.01)
            second = conn.execute(text("SELECT now()")).scalar_one()
        assert second > first  # in one transaction now() is the transaction's start, the same twice
    finally:
        db.dispose()


def test_a_write_transaction_after_a_read_on_the_same_connection_still_rolls_back_whole(databases):
    db, things = _database(databases.new("reads"))
    try:
        with db.read() as conn:
            conn.execute(select(func.count()).select_from(things)).scalar_one()
        with pytest.raises(RuntimeError):
            with db.transaction() as conn:
                conn.execute(insert(things).values(id=1))
                raise RuntimeError("the write fails after its first statement")
        with db.read() as conn:
            assert conn.execute(select(func.count()).select_from(things)).scalar_one() == 0
    finally:
        db.dispose()

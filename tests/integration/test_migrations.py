"""Each service's Alembic revisions, with the shared tables' branch they depend on, build
exactly the schema its models declare, on SQLite and PostgreSQL; a database migrated before
the shared tables had their branch upgrades cleanly; migrations started at once queue on a
database lock; an operator can see where a schema is and move it back."""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, func, insert, inspect, select, text

from services.registry import SERVICES, declaration
from shared import migrate
from shared.clock import utcnow
from shared.config import Settings
from shared.service import Service
from shared.tables import SharedTables
from tests.harness import PERSONAL_DATA_KEY
from tests.processes import REPO


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrated_schema_matches_the_models(databases, service):
    declared = declaration(service)
    runtime = declared.build_runtime(declared.load_settings({"DATABASE_URL": databases.new(service)}))
    try:
        migrate.upgrade(declared, runtime.db)
        assert migrate.differences(runtime.db) == []
        migrate.upgrade(declared, runtime.db)  # running it again changes nothing
        assert migrate.differences(runtime.db) == []
        assert migrate.current(runtime.db) == migrate.heads(declared)
    finally:
        runtime.db.dispose()


def test_the_shared_tables_come_from_one_branch_that_every_service_depends_on():
    shared = {
        script.revision for script in migrate.history(declaration(SERVICES[0])) if script.branch_labels == {"shared"}
    }
    assert len(shared) == 1
    for service in SERVICES:
        own = [script for script in migrate.history(declaration(service)) if script.revision not in shared]
        assert own[0].dependencies in shared, f"{service}'s first revision must depend on the shared branch"
        for script in own:  # no revision of a service touches a shared table
            source = open(script.path).read()
            assert not any(f"'{table}'" in source for table in ("outbox", "inbox", "relay_lease", "audit_log")), (
                script.path
            )


@pytest.mark.parametrize("service", SERVICES)
def test_a_database_migrated_before_the_shared_branch_upgrades_and_keeps_its_rows(databases, service):
    """Such a database is at its service's latest revision alone, its shared tables made by that
    service's first revision, as the models describe them."""
    declared = declaration(service)
    runtime = declared.build_runtime(declared.load_settings({"DATABASE_URL": databases.new(service)}))
    own_head = next(script.revision for script in reversed(migrate.history(declared)) if not script.branch_labels)
    try:
        runtime.db.create_schema()
        with runtime.db.transaction() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
            conn.execute(text("INSERT INTO alembic_version VALUES (:at)"), {"at": own_head})
            conn.execute(insert(runtime.db.tables.relay_lease).values(name="relay", holder="w1", expires_at=utcnow()))
        migrate.upgrade(declared, runtime.db)
        assert migrate.current(runtime.db) == migrate.heads(declared)
        assert migrate.differences(runtime.db) == []
        with runtime.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(runtime.db.tables.relay_lease)).scalar_one() == 1
    finally:
        runtime.db.dispose()


def test_a_database_at_an_earlier_revision_of_its_service_goes_on_from_there_keeping_the_shared_tables_rows(databases):
    declared = declaration("enrolment")
    runtime = declared.build_runtime(declared.load_settings({"DATABASE_URL": databases.new("enrolment")}))
    first = next(script.revision for script in migrate.history(declared) if script.dependencies)
    try:
        migrate.upgrade(declared, runtime.db, first)
        # As a database migrated before the shared branch records it: the service's revision alone.
        with runtime.db.read() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [first]
        with runtime.db.transaction() as conn:
            conn.execute(insert(runtime.db.tables.relay_lease).values(name="relay", holder="w1", expires_at=utcnow()))
        migrate.upgrade(declared, runtime.db)
        assert migrate.current(runtime.db) == migrate.heads(declared)
        assert migrate.differences(runtime.db) == []
        with runtime.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(runtime.db.tables.relay_lease)).scalar_one() == 1
    finally:
        runtime.db.dispose()


def test_downgrading_a_service_to_base_removes_the_shared_tables_with_its_own(databases):
    declared = declaration("scheduling")
    runtime = declared.build_runtime(declared.load_settings({"DATABASE_URL": databases.new("scheduling")}))
    try:
        migrate.upgrade(declared, runtime.db)
        migrate.downgrade(declared, runtime.db, "base")
        assert migrate.current(runtime.db) == ()
        assert set(inspect(runtime.db.engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(declared, runtime.db)
        assert migrate.differences(runtime.db) == []
    finally:
        runtime.db.dispose()


# --- Operating migrations: concurrent runs, current, history, downgrade -----------------------


def _migrate(url: str, tmp_path, *args: str, at: float | None = None) -> subprocess.Popen:
    """`python -m services.cli migrate …` as its own process, as a Job or an operator runs it.
    With `at`, the process loads everything first, then runs the command at that wall-clock
    time, so that several start their migrations within a millisecond of each other."""
    environ = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": url,
        "CONVENE_DATA_DIR": str(tmp_path),
        "PERSONAL_DATA_KEY": PERSONAL_DATA_KEY,
        "LOG_LEVEL": "WARNING",
    }
    command = (
        [sys.executable, "-m", "services.cli", "migrate", *args]
        if at is None
        else [sys.executable, "-c", _AT_ONCE, str(at), "migrate", *args]
    )
    return subprocess.Popen(command, cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


_AT_ONCE = """
import sys, time
import services.cli, services.enrolment.app, shared.migrate
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
services.cli.main(sys.argv[2:])
"""


def _run(url: str, tmp_path, *args: str) -> str:
    process = _migrate(url, tmp_path, *args)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return output


def test_four_migrations_started_at_once_on_a_fresh_database_all_succeed_with_one_history(databases, tmp_path):
    url = databases.new("enrolment")
    start = time.time() + 8  # time enough for four interpreters to load Convene
    processes = [_migrate(url, tmp_path, "enrolment", at=start) for _ in range(4)]
    outputs = [process.communicate(timeout=180)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], "\n---\n".join(outputs)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == list(
                migrate.heads(declaration("enrolment"))
            )
    finally:
        engine.dispose()
    _assert_matches_the_models(url)


def _assert_matches_the_models(url: str) -> None:
    declared = declaration("enrolment")
    runtime = declared.build_runtime(declared.load_settings({"DATABASE_URL": url}))
    try:
        assert migrate.differences(runtime.db) == []
    finally:
        runtime.db.dispose()


def test_current_history_and_downgrade_say_and_move_where_the_schema_is(databases, tmp_path):
    url = databases.new("enrolment")
    scripts = migrate.history(declaration("enrolment"))
    initial = next(
        script.revision for script in scripts if script.dependencies
    )  # enrolment's first, after the shared branch
    (latest,) = migrate.heads(declaration("enrolment"))
    assert initial != latest  # enrolment has more than one revision to go back over
    assert (
        _run(url, tmp_path, "enrolment", "--current").strip() == f"enrolment: no revision applied (latest is {latest})"
    )
    _run(url, tmp_path, "enrolment")
    assert _run(url, tmp_path, "enrolment", "--current").strip() == f"enrolment: at {latest} (latest)"
    history = _run(url, tmp_path, "enrolment", "--history").splitlines()
    assert [line.split()[1] for line in history] == [script.revision for script in scripts]
    assert history[-1].endswith("<- current") and not history[1].endswith("<- current")
    assert "[shared]" in history[0] and f"needs {scripts[0].revision}" in history[1]

    assert f"at {initial} (latest is {latest})" in _run(url, tmp_path, "enrolment", "--downgrade", initial)
    assert _run(url, tmp_path, "enrolment", "--history").splitlines()[1].endswith("<- current")
    _run(url, tmp_path, "enrolment")  # and forward again
    assert _run(url, tmp_path, "enrolment", "--current").strip() == f"enrolment: at {latest} (latest)"
    _assert_matches_the_models(url)

    refused = _migrate(url, tmp_path, "all", "--downgrade", "base")
    output, _ = refused.communicate(timeout=60)
    assert refused.returncode != 0 and "name the service" in output


@dataclass(frozen=True)
class _NewSettings(Settings):
    service: ClassVar[str] = "newcomer"


def test_a_new_service_s_first_revision_depends_on_the_shared_branch_and_leaves_the_shared_tables_to_it(tmp_path):
    metadata = MetaData()
    SharedTables(metadata)
    Table("things", metadata, Column("id", String(10), primary_key=True))
    newcomer = Service(
        name="newcomer",
        settings=_NewSettings,
        metadata=metadata,
        apis=[],
        migrations=tmp_path / "migrations",
        title="t",
        description="d",
    )
    writer = newcomer.build_runtime(
        _NewSettings.load({"DATABASE_URL": f"sqlite:///{tmp_path / 'writer.db'}", "CONVENE_DATA_DIR": str(tmp_path)})
    )
    fresh = newcomer.build_runtime(
        _NewSettings.load({"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "CONVENE_DATA_DIR": str(tmp_path)})
    )
    try:
        migrate.new_revision(newcomer, writer.db, "initial schema")
        (first,) = (tmp_path / "migrations").glob("*.py")
        source = first.read_text()
        assert "'things'" in source and "'outbox'" not in source and "'inbox'" not in source
        (script,) = [script for script in migrate.history(newcomer) if not script.branch_labels]
        assert script.dependencies == next(
            s.revision for s in migrate.history(newcomer) if s.branch_labels == {"shared"}
        )
        migrate.upgrade(newcomer, fresh.db)
        assert migrate.current(fresh.db) == migrate.heads(newcomer) == (script.revision,)
        assert migrate.differences(fresh.db) == []
    finally:
        writer.db.dispose()
        fresh.db.dispose()

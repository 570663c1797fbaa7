"""Each service's Alembic revisions build exactly the schema its models declare, on SQLite
and PostgreSQL; migrations started at once queue on a database lock; an operator can see
where a schema is and move it back."""
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from services.registry import SERVICES, settings_class
from services.registry import app_module
from shared import migrate
from tests.harness import PERSONAL_DATA_KEY
from tests.processes import REPO


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrated_schema_matches_the_models(databases, service):
    runtime = app_module(service).build_runtime(settings_class(service).load({"DATABASE_URL": databases.new(service)}))
    try:
        migrate.upgrade(service, runtime.db)
        assert migrate.differences(runtime.db) == []
        migrate.upgrade(service, runtime.db)  # running it again changes nothing
        assert migrate.differences(runtime.db) == []
    finally:
        runtime.db.dispose()


# --- Operating migrations: concurrent runs, current, history, downgrade -----------------------

def _migrate(url: str, tmp_path, *args: str, at: float | None = None) -> subprocess.Popen:
    """`python -m services.cli migrate …` as its own process, as a Job or an operator runs it.
    With `at`, the process loads everything first, then runs the command at that wall-clock
    time, so that several start their migrations within a millisecond of each other."""
    environ = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": url, "CONVENE_DATA_DIR": str(tmp_path), "PERSONAL_DATA_KEY": PERSONAL_DATA_KEY, "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "services.cli", "migrate", *args] if at is None else [sys.executable, "-c", _AT_ONCE, str(at), "migrate", *args]
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
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [migrate.head("enrolment")]
    finally:
        engine.dispose()
    _assert_matches_the_models(url)


def _assert_matches_the_models(url: str) -> None:
    runtime = app_module("enrolment").build_runtime(settings_class("enrolment").load({"DATABASE_URL": url}))
    try:
        assert migrate.differences(runtime.db) == []
    finally:
        runtime.db.dispose()


def test_current_history_and_downgrade_say_and_move_where_the_schema_is(databases, tmp_path):
    url = databases.new("enrolment")
    initial, latest = migrate.history("enrolment")[0].revision, migrate.head("enrolment")
    assert initial != latest  # enrolment has more than one revision to go back over
    assert _run(url, tmp_path, "enrolment", "--current").strip() == f"enrolment: no revision applied (latest is {latest})"
    _run(url, tmp_path, "enrolment")
    assert _run(url, tmp_path, "enrolment", "--current").strip() == f"enrolment: at {latest} (latest)"
    history = _run(url, tmp_path, "enrolment", "--history").splitlines()
    assert [line.split()[1] for line in history] == [script.revision for script in migrate.history("enrolment")]
    assert history[-1].endswith("<- current") and not history[0].endswith("<- current")

    assert f"at {initial} (latest is {latest})" in _run(url, tmp_path, "enrolment", "--downgrade", initial)
    assert _run(url, tmp_path, "enrolment", "--history").splitlines()[0].endswith("<- current")
    _run(url, tmp_path, "enrolment")  # and forward again
    assert _run(url, tmp_path, "enrolment", "--current").strip() == f"enrolment: at {latest} (latest)"
    _assert_matches_the_models(url)

    refused = _migrate(url, tmp_path, "all", "--downgrade", "base")
    output, _ = refused.communicate(timeout=60)
    assert refused.returncode != 0 and "name the service" in output

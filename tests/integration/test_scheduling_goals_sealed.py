"""Coaching goals and progress notes are crypto-shredded, on both databases: a coachee's own
words and every progress note (the coach's too) are stored only sealed under the coachee's data
key, so no byte of them is ever readable in scheduling's database files, read raw (the SQLite
file with its -wal and -shm; the PostgreSQL cluster's data directory after a CHECKPOINT, pg_wal
and the server log included), in UTF-8, UTF-16 or base64; erasure destroys the key with the
rows, so a copy of the ciphertext taken before (a backup) opens with nothing left. An offer's
title, stored in the clear on purpose, is found in the same files: the search reaches them.
Rotating the key-encryption key rewraps the coachees' data keys (`services.cli rewrap-keys`)."""

from __future__ import annotations

import dataclasses
import random
import string
from pathlib import Path

from sqlalchemy import create_engine, select, text

from services.registry import declaration
from services.scheduling.store import goals as goal_store
from services.scheduling.store import tables
from shared import data_keys
from shared.clock import utcnow
from shared.contracts import enrolment
from shared.sealing import new_kek_text
from tests.e2e.test_erasure import byte_patterns, files_under, grep_files
from tests.integration.test_scheduling_goals_api import as_coachee, coaching
from tests.integration.test_scheduling_support import Scheduling, scheduling  # noqa: F401

# Words no other test writes (random letters), each long enough for the raw search.
TAG = "".join(random.choices(string.ascii_lowercase, k=6))
WORDS = f"Reconcile Brackenthwaite{TAG} partners before Midsummer{TAG}"
COACH_NOTE = f"Rehearsed the Pendlebury{TAG} conversation"
COACHEE_NOTE = f"Calmer about Thistlecombe{TAG} now"
TITLE_CANARY = f"Harrowgate{TAG} coaching canary"


def patterns(*texts: str) -> dict:
    """The raw-byte patterns of tests/e2e/test_erasure.py, of this test's own words only (the
    random tag in each): a common word such as "Rehearsed" may lie in the cluster from others."""
    return {
        what: found
        for words in texts
        for what, found in byte_patterns({"name": words, "email": "x@x"}).items()
        if TAG in what
    }


def database_files(scheduling: Scheduling, request, tmp_path: Path) -> list[Path]:
    """What a copy of the disk holds of the database, its logs included."""
    if scheduling.db.engine.dialect.name == "sqlite":
        return [path for path in files_under(tmp_path) if ".db" in path.name]
    engine = create_engine(request.getfixturevalue("postgres_admin_url"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))  # shared buffers to the data files
        data_directory = Path(conn.execute(text("SHOW data_directory")).scalar_one())
    engine.dispose()
    return files_under(data_directory)


def every_row(scheduling: Scheduling) -> str:
    with scheduling.db.read() as conn:
        return repr(
            [tuple(row) for table in scheduling.db.metadata.sorted_tables for row in conn.execute(select(table))]
        )


def test_no_byte_of_a_coachees_words_or_notes_is_readable_in_the_database_files_before_or_after_erasure(
    scheduling: Scheduling, request, tmp_path
):
    world = coaching(scheduling)
    canary = scheduling.publish_offer(title=TITLE_CANARY)  # stored in the clear
    assert (
        scheduling.client.put(
            world["path"], json={"goal_types": ["leadership_goal"], "words": WORDS}, headers=as_coachee(scheduling)
        ).status_code
        == 200
    )
    by_coach = scheduling.headers("coach", subject=world["coach"])
    progress = f"/v1/coaching/sessions/{world['held']}/progress"
    assert scheduling.client.put(progress, json={"note": COACH_NOTE}, headers=by_coach).status_code == 200
    assert (
        scheduling.client.put(progress, json={"note": COACHEE_NOTE}, headers=as_coachee(scheduling)).status_code == 200
    )
    read = scheduling.client.get(world["path"], headers=by_coach).json
    assert read["words"] == WORDS and sorted(n["note"] for n in read["progress"]) == sorted([COACH_NOTE, COACHEE_NOTE])

    secret, clear = patterns(WORDS, COACH_NOTE, COACHEE_NOTE), patterns(TITLE_CANARY)
    assert len(secret) > 30 and clear  # each tagged word and phrase, in UTF-8, UTF-16 and base64
    stored = every_row(scheduling)
    assert TAG not in stored.replace(TITLE_CANARY, "") and TITLE_CANARY in stored and canary in stored
    files = database_files(scheduling, request, tmp_path)
    assert grep_files(files, secret) == []
    assert grep_files(files, clear), "the raw search must reach the stored bytes"
    with scheduling.db.read() as conn:
        backup = conn.execute(
            select(tables.coaching_goals.c.sealed_words)
        ).scalar_one()  # as a backup or the WAL keeps it

    scheduling.deliver(
        enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y56", "erased_at": utcnow().isoformat()}
    )

    assert (scheduling.count(tables.coaching_goals), scheduling.count(tables.coaching_progress)) == (0, 0)
    with scheduling.db.read() as conn:  # no key is left that could open the copy taken before
        assert data_keys.find(conn, ["p1"]) == {}
        # Only the service's own keys ("~…", such as the erased-participants index key) remain.
        assert [r for (r,) in conn.execute(select(tables.data_keys.c.record_id)) if not r.startswith("~")] == []
        assert goal_store.find_goals(conn, world["offer"], "p1") is None
    assert backup.startswith("s1.") and TAG not in backup
    assert TAG not in every_row(scheduling).replace(TITLE_CANARY, "")
    files = database_files(scheduling, request, tmp_path)
    assert grep_files(files, secret) == []
    assert grep_files(files, clear)


def test_rotating_the_key_encryption_key_rewraps_every_coachees_data_key_and_the_words_still_read(
    scheduling: Scheduling,
):
    world = coaching(scheduling)
    assert (
        scheduling.client.put(
            world["path"], json={"goal_types": ["coaching_skills"], "words": WORDS}, headers=as_coachee(scheduling)
        ).status_code
        == 200
    )
    old, new = scheduling.service.settings.personal_data_key, new_kek_text()
    declared = declaration("scheduling")

    def runtime_with(keys: str):
        return declared.build_runtime(dataclasses.replace(scheduling.service.settings, personal_data_key=keys))

    rotating = runtime_with(f"{new},{old}")
    with rotating.db.transaction() as conn:  # what `services.cli rewrap-keys scheduling` runs
        # The coachee's data key, and the service's erased-participants index key (shared.erasures).
        assert declared.rewrap_personal_data(conn) == 2
    with rotating.db.transaction() as conn:
        assert declared.rewrap_personal_data(conn) == 0  # every key is wrapped by the new one now
    rotating.db.dispose()
    rotated = runtime_with(new)  # the old key destroyed
    with rotated.db.read() as conn:
        assert goal_store.find_goals(conn, world["offer"], "p1").words == WORDS
    rotated.db.dispose()

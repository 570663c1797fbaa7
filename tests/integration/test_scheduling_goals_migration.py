"""The revision that seals coaching goals and progress notes (bb428476386f), on both databases:
rows a development database wrote in the clear under the revision before are sealed under their
coachee's data key and read back the same; no plaintext is left in the rows; going back down
opens them into plaintext columns again."""

from datetime import UTC, datetime

from sqlalchemy import select, text

from services.registry import declaration
from services.scheduling.store import goals as goal_store
from services.scheduling.store import tables
from shared import migrate
from tests.harness import PERSONAL_DATA_KEY

BEFORE, SEALING = "d3437f753296", "bb428476386f"
AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_goals_and_notes_written_in_the_clear_before_are_sealed_under_their_coachees_key_and_read_the_same(databases):
    declared = declaration("scheduling")
    runtime = declared.build_runtime(
        declared.load_settings({"DATABASE_URL": databases.new("scheduling"), "PERSONAL_DATA_KEY": PERSONAL_DATA_KEY})
    )
    try:
        migrate.upgrade(declared, runtime.db, BEFORE)
        with runtime.db.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO coaching_goals (offer_id, participant_id, region, goal_types, words, set_at) "
                    "VALUES ('o1', 'p1', 'Y56', :types, :words, :at)"
                ),
                {"types": '["leadership_goal"]', "words": "Steady the Wintersgill board", "at": AT},
            )
            for author, note in (("coach", "Rehearsed the Wintersgill meeting"), ("coachee", "Felt ready")):
                conn.execute(
                    text(
                        "INSERT INTO coaching_progress (session_id, author, offer_id, coachee_id, note, "
                        "noted_at) VALUES ('s1', :author, 'o1', 'p1', :note, :at)"
                    ),
                    {"author": author, "note": note, "at": AT},
                )

        migrate.upgrade(declared, runtime.db)

        assert migrate.differences(runtime.db) == []
        with runtime.db.read() as conn:
            stored = repr(
                [
                    tuple(row)
                    for table in (tables.coaching_goals, tables.coaching_progress)
                    for row in conn.execute(select(table))
                ]
            )
            assert "Wintersgill" not in stored and "Felt ready" not in stored
            assert list(conn.execute(select(tables.data_keys.c.record_id)).scalars()) == ["p1"]
            assert goal_store.find_goals(conn, "o1", "p1").words == "Steady the Wintersgill board"
            assert sorted((n.author.value, n.note) for n in goal_store.notes_of(conn, "o1", "p1")) == [
                ("coach", "Rehearsed the Wintersgill meeting"),
                ("coachee", "Felt ready"),
            ]

        migrate.downgrade(declared, runtime.db, BEFORE)

        with runtime.db.read() as conn:
            assert conn.execute(text("SELECT words FROM coaching_goals")).scalars().all() == [
                "Steady the Wintersgill board"
            ]
            assert sorted(conn.execute(text("SELECT note FROM coaching_progress")).scalars()) == [
                "Felt ready",
                "Rehearsed the Wintersgill meeting",
            ]
    finally:
        runtime.db.dispose()

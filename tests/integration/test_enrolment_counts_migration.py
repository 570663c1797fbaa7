"""The revision that keeps places taken and waitlist length on the offer's row (8d2f4a61c3b7), on
both databases: offers with enrolments written under the revision before get counts equal to
their confirmed and waitlisted rows (withdrawn ones count nowhere), and going back down drops them."""

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from services.enrolment.store import offers as offer_store
from services.registry import declaration
from shared import migrate
from tests.harness import PERSONAL_DATA_KEY

BEFORE, COUNTS = "5e1a7c2b9d04", "8d2f4a61c3b7"
AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
# offer id → statuses of its enrolments
ENROLMENTS = {
    "o-full": ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted", "withdrawn"],
    "o-some": ["confirmed", "withdrawn", "completed"],
    "o-none": [],
}


def test_counts_are_filled_from_the_enrolments_that_exist_and_dropped_going_back(databases):
    declared = declaration("enrolment")
    runtime = declared.build_runtime(
        declared.load_settings({"DATABASE_URL": databases.new("enrolment"), "PERSONAL_DATA_KEY": PERSONAL_DATA_KEY})
    )
    try:
        migrate.upgrade(declared, runtime.db, BEFORE)
        with runtime.db.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO pcns (code, name, sub_icb_code, sub_icb_name, region) "
                    "VALUES ('U10001', 'Camden', 'S1', 'Sub', 'Y56')"
                )
            )
            for offer_id, statuses in ENROLMENTS.items():
                conn.execute(
                    text(
                        "INSERT INTO offers (id, region, offer_type, title, capacity, status, planned_sessions, "
                        "starts_on, ends_on, version, created_at, updated_at) VALUES (:id, 'Y56', "
                        "'regional_programme', 'Leading a PCN', 2, 'published', 4, '2027-01-11', '2027-06-30', 1, "
                        ":at, :at)"
                    ),
                    {"id": offer_id, "at": AT},
                )
                for n, status in enumerate(statuses):
                    person = f"{offer_id}-p{n}"
                    conn.execute(
                        text(
                            "INSERT INTO participants (id, role, pcn_code, leadership_experience, created_at) "
                            "VALUES (:id, 'gp', 'U10001', 'none', :at)"
                        ),
                        {"id": person, "at": AT},
                    )
                    conn.execute(
                        text(
                            "INSERT INTO enrolments (id, offer_id, participant_id, status, waitlist_position, "
                            "requested_at, updated_at) VALUES (:id, :offer, :person, :status, :position, :at, :at)"
                        ),
                        {
                            "id": f"e-{person}",
                            "offer": offer_id,
                            "person": person,
                            "status": status,
                            "position": n if status == "waitlisted" else None,
                            "at": AT,
                        },
                    )

        migrate.upgrade(declared, runtime.db, COUNTS)

        # In step with the models as far as offers go (later revisions add other tables' columns).
        assert not [d for d in migrate.differences(runtime.db) if "offers" in repr(d)]
        with runtime.db.read() as conn:
            stored = {
                row["id"]: (row["places_taken"], row["waitlist_length"])
                for row in (offer_store.offer(conn, offer_id) for offer_id in ENROLMENTS)
            }
            assert stored == {"o-full": (2, 3), "o-some": (1, 0), "o-none": (0, 0)}
            assert offer_store.miscounted(conn) == []

        migrate.downgrade(declared, runtime.db, BEFORE)

        with runtime.db.engine.connect() as conn:
            columns = {column["name"] for column in inspect(conn).get_columns("offers")}
        assert not columns & {"places_taken", "waitlist_length"} and "capacity" in columns
    finally:
        runtime.db.dispose()

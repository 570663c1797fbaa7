"""Right to erasure: a regional administrator erases one of their region's participants.

In one transaction: every place and waitlist position the person holds is withdrawn exactly
as a withdrawal would (a freed place goes to the first waitlisted person, with the usual
events); their data key is destroyed, which crypto-shreds the sealed name and e-mail wherever
a copy lies (write-ahead logs, freed pages, dead row versions, replicas, backups); the sealed
columns and the blind index are emptied, so the address may be registered again; their
e-mails not yet sent, and the log of those that were, are deleted (nothing is sent to them
after this commits: the notifier renders from the participant row at send time); and
`participant.erased` tells scheduling (which cancels their future coaching) and feedback
(which forgets their answers' free text). The opaque id, role, PCN, practice, leadership
experience and enrolment history stay, so figures stay. Once committed, the database is
scrubbed of what old row versions it still holds (shared.db.scrub), as defence in depth.

Erasing again answers 409 `participant_already_erased`.
"""

from services.enrolment.personal import is_erased
from services.enrolment.store import notifications as notification_store
from services.enrolment.store import participants as store
from services.enrolment.store.tables import data_keys as key_table
from services.enrolment.store.tables import notification_log, notifications
from services.enrolment.store.tables import participants as participant_table
from services.enrolment.usecases import enrolments
from services.enrolment.usecases.access import not_found
from shared import data_keys
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_ERASED
from shared.db import scrub
from shared.errors import Conflict
from shared.unit import Unit

# What a PostgreSQL VACUUM after an erasure tidies: where the person's rows had versions.
SCRUBBED_TABLES = (key_table.name, participant_table.name, notifications.name, notification_log.name)


def erase(unit: Unit, participant_id: str) -> None:
    # Locked first (PostgreSQL): a concurrent erasure waits and then finds the person erased,
    # and a concurrent enrolment waits and then is refused.
    participant = store.participant(unit.conn, participant_id, lock="update")
    if (
        participant is None
        or unit.principal.role is not Role.REGIONAL_ADMIN
        or participant["region"] != unit.principal.region
    ):
        raise not_found("participant")
    already = Conflict("participant_already_erased", "This participant's personal data is already erased.")
    if is_erased(participant):
        raise already
    enrolments.withdraw_everywhere(unit, participant_id)
    erased_at = utcnow()
    if not store.erase_personal_data(unit.conn, participant_id, erased_at=erased_at):
        raise already  # a concurrent erasure committed first
    data_keys.destroy(unit.conn, [participant_id])
    notification_store.forget(unit.conn, participant_id)
    unit.record(
        PARTICIPANT_ERASED, {"participant_id": participant_id, "region": participant["region"], "erased_at": erased_at}
    )
    engine = unit.conn.engine
    unit.after_commit(lambda: scrub(engine, SCRUBBED_TABLES))

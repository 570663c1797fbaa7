"""Events feedback consumes: scheduling's sessions (and later attendance)."""
from sqlalchemy import Connection, select, update

from shared.consumer import Subscription
from shared.contracts.scheduling import SESSION_SCHEDULED
from shared.envelope import Envelope
from services.feedback.store import sessions


def session_scheduled(event: Envelope, conn: Connection) -> None:
    data = event.data
    row = {"offer_id": data["offer_id"], "region": data["region"], "ends_at": data["ends_at"]}
    if conn.execute(select(sessions.c.session_id).where(sessions.c.session_id == data["session_id"])).first():
        conn.execute(update(sessions).where(sessions.c.session_id == data["session_id"]).values(**row))
    else:
        conn.execute(sessions.insert().values(session_id=data["session_id"], **row))


SUBSCRIPTIONS = [Subscription("sessions", {SESSION_SCHEDULED.type: session_scheduled})]

"""Events scheduling consumes: enrolment's offers (its roster projection)."""
from sqlalchemy import Connection, select, update

from shared.consumer import Subscription
from shared.contracts.enrolment import OFFER_PUBLISHED
from shared.envelope import Envelope
from services.scheduling.store import offers


def offer_published(event: Envelope, conn: Connection) -> None:
    data = event.data
    row = {"region": data["region"], "offer_type": data["offer_type"], "capacity": data["capacity"], "status": data["status"]}
    if conn.execute(select(offers.c.offer_id).where(offers.c.offer_id == data["offer_id"])).first():
        conn.execute(update(offers).where(offers.c.offer_id == data["offer_id"]).values(**row))
    else:
        conn.execute(offers.insert().values(offer_id=data["offer_id"], **row))


SUBSCRIPTIONS = [Subscription("rosters", {OFFER_PUBLISHED.type: offer_published})]

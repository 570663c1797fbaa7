"""Events enrolment consumes (scheduling's attendance), as handler(event, conn) functions."""
from shared.consumer import Subscription

SUBSCRIPTIONS: list[Subscription] = []

"""Events the subscriptions service consumes: every public event of the other services, one
consumer group per owning service. Each is recorded as a delivery for every subscription that
wants it, in the consumer's unit of work with its inbox row."""

from services.subscriptions.usecases import deliveries, erasure
from shared.consumer import Subscription
from shared.contracts.enrolment import PARTICIPANT_ERASED
from shared.contracts.registry import event_types
from shared.envelope import Envelope
from shared.unit import Unit

OWNERS = ("enrolment", "scheduling", "feedback")


def event_published(event: Envelope, unit: Unit) -> None:
    deliveries.event_consumed(unit, event)


def participant_erased(event: Envelope, unit: Unit) -> None:
    """Passed on like any event (subscribers erase too), and what was kept of the person forgotten."""
    deliveries.event_consumed(unit, event)
    erasure.participant_erased(unit, event)


SUBSCRIPTIONS = [
    Subscription(
        owner,
        {
            name: participant_erased if name == PARTICIPANT_ERASED.type else event_published
            for name, declared in event_types().items()
            if declared.topic.owner == owner
        },
    )
    for owner in OWNERS
]

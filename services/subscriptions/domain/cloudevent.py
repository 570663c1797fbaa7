"""The body of a webhook: the event as a CloudEvent in the HTTP binding's structured mode
(application/cloudevents+json), with Convene's `partitionkey` and `region` extensions."""

from __future__ import annotations

import json
from datetime import date, datetime

MEDIA_TYPE = "application/cloudevents+json"


def structured(
    *,
    event_id: str,
    source: str,
    event_type: str,
    time: datetime,
    data: dict,
    subject: str | None,
    partitionkey: str | None,
    region: str | None,
) -> str:
    document = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "time": time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": data,
    }
    optional = {"subject": subject, "partitionkey": partitionkey, "region": region}
    document.update({name: value for name, value in optional.items() if value is not None})
    return json.dumps(document, separators=(",", ":"), sort_keys=True, default=_iso)


def _iso(value):
    """Dates and times of the data as the contract publishes them (consumers hand them over parsed)."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def ordering_key(topic: str, partitionkey: str) -> str:
    """Events of one key of one topic are delivered in order (the order of their partition)."""
    return f"{topic}/{partitionkey}"

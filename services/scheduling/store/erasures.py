"""Whom scheduling erased (shared.erasures): a keyed blind index of the id, never the id, under a
service key kept wrapped by PERSONAL_DATA_KEY ("~" is in no participant id), so the index cannot
be checked against a guessed id without it. The event handlers apply a later event about an
erased person under the pseudonym; the calendar subscription refuses them."""

from __future__ import annotations

from services.scheduling.store.tables import erased_participants
from shared import data_keys
from shared.erasures import ErasureRecord

ERASED_INDEX_KEY = "~erased-participants"
ERASURES = ErasureRecord(erased_participants, lambda unit: data_keys.service_key(unit.conn, ERASED_INDEX_KEY))

"""A fix for kafka-python 3.0's group membership, applied once when shared.kafka is imported.

The bug (kafka-python 3.0.12, kafka/coordinator/consumer.py and base.py): `poll()` drives a
rebalance only while `need_rejoin()` is true, and gives up waiting for the JoinGroup/SyncGroup
round trip when its own timeout runs out, leaving the round trip in flight. When the rebalance
was asked for by a metadata change (the leader's assignment snapshot differs from the cluster
metadata: every consumer does this once just after it first joins), the round trip itself
makes `need_rejoin()` false again (the leader takes a new snapshot while assigning). If the
poll's timer ran out first, which happens whenever the change arrives near the end of a poll,
no later poll ever completes the join: the member stays REBALANCING for good. Then
  * its heartbeats stay disabled, so the broker expires it and the group is left Empty (or Dead,
    when it never committed);
  * `time_to_next_heartbeat()` is 0 for ever, so every poll fetches with a zero timeout: the
    consumer thread and kafka-python's IO thread spin (70-80 % of a core);
  * it still fetches with its old assignment, but every commit fails with
    RebalanceInProgressError, so a restart re-reads everything.

The fix: a join that was started (`rejoining` is set before the JoinGroup goes out and cleared
only once its result is applied) counts as a rejoin still needed, so the next poll finishes it.
"""

from __future__ import annotations

import logging

from kafka.coordinator.consumer import ConsumerCoordinator

log = logging.getLogger(__name__)


def apply() -> None:
    if getattr(ConsumerCoordinator, "_convene_join_fix", False):
        return
    if not hasattr(ConsumerCoordinator, "need_rejoin"):
        log.warning("kafka-python's ConsumerCoordinator changed; the unfinished-join fix is not applied")
        return
    unpatched = ConsumerCoordinator.need_rejoin

    def need_rejoin(self) -> bool:
        # `rejoining` is kafka-python's own flag for "a join was prepared and not yet completed".
        return unpatched(self) or bool(getattr(self, "rejoining", False))

    ConsumerCoordinator.need_rejoin = need_rejoin
    ConsumerCoordinator._convene_join_fix = True

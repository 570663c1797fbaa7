"""What the broker says about consumer groups: state, members, and how far each group's
committed offsets are from the end of its partitions. The soak drill and the tests ask it."""

from __future__ import annotations

from dataclasses import dataclass, field

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition


@dataclass
class GroupReport:
    group: str
    state: str
    members: int
    # (topic, partition) → end offset minus committed offset (the end offset when nothing is committed)
    behind: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def caught_up(self) -> bool:
        return not any(self.behind.values())

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "members": self.members,
            "behind": sum(self.behind.values()),
            "partitions": {f"{t}:{p}": n for (t, p), n in sorted(self.behind.items())},
        }


def describe(
    admin: KafkaAdminClient, end_reader: KafkaConsumer, groups_topics: dict[str, list[str]]
) -> dict[str, GroupReport]:
    """One report per group, for the topics each group reads (`{group: [topic, …]}`).
    `end_reader` is a consumer without a group, used only for end offsets."""
    described = admin.describe_groups(sorted(groups_topics))
    committed = admin.list_group_offsets(sorted(groups_topics))
    reports = {}
    for group, topics in groups_topics.items():
        info = described.get(group, {})
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(end_reader.partitions_for_topic(t) or ())]
        ends = end_reader.end_offsets(partitions) if partitions else {}
        done = committed.get(group, {})
        behind = {
            (tp.topic, tp.partition): ends[tp] - (done[tp].offset if tp in done and done[tp].offset >= 0 else 0)
            for tp in partitions
        }
        reports[group] = GroupReport(group, str(info.get("group_state")), len(info.get("members") or []), behind)
    return reports

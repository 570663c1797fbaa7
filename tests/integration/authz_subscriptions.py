"""Subscriptions' row of the authorisation matrix: a world with one webhook subscription owned by
the matrix's service caller, its sink on loopback (allowed by the settings, as in development),
and how to call every operation with it (who gets what is docs/authorization.md's to say).

Pausing, resuming and deleting act on a fresh subscription of the same owner each call, so the
cells do not depend on each other's order. One system never sees another's subscriptions: that
is test_subscriptions_api.py's to show, since the matrix has a single service caller.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from tests.harness import RunningService, service_environment
from tests.integration.authz_matrix import Operation, Request, World

OWNER = "service-any"  # the subject the matrix gives its service caller (World.subject)
SINK = "http://127.0.0.1:9/hooks"  # never called: the matrix runs no delivery loop


class SubscriptionsWorld(World):
    def __init__(self, database_url: str, kafka_bootstrap: str, topic_prefix: str, public_key, make_token):
        env = service_environment(database_url, kafka_bootstrap, topic_prefix, public_key) | {
            "RATE_LIMIT_PER_MINUTE": "0",
            "WEBHOOK_ALLOW_HTTP": "true",
            "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        }
        self.service = RunningService("subscriptions", env)
        self.client = self.service.client
        self.people = {"own": "p-own", "stranger": "p-stranger", "other": "p-other"}  # participants: refused
        self._serial = 0
        self.owner = {"Authorization": "Bearer " + make_token("service", None, OWNER)}
        self.subscription = self.fresh()
        self.seed_regional_audit_row()

    def seed_regional_audit_row(self) -> None:
        """Systems' calls carry no region; a Y56 row stands for a regional caller's, which its admin sees."""
        db = self.service.runtime.db
        with db.transaction() as conn:
            conn.execute(
                insert(db.tables.audit).values(
                    at=datetime.now(UTC),
                    subject="regional_admin-own",
                    role="regional_admin",
                    region="Y56",
                    action="GET",
                    route="/v1/audit",
                    status=200,
                )
            )

    def fresh(self, paused: bool = False) -> str:
        answer = self.client.post("/v1/subscriptions", json={"sink": SINK, "protocol": "HTTP"}, headers=self.owner)
        assert answer.status_code == 201, answer.get_json()
        subscription_id = answer.get_json()["id"]
        if paused:
            assert self.client.post(f"/v1/subscriptions/{subscription_id}/pause", headers=self.owner).status_code == 200
        return subscription_id


def _listed(world, caller, response) -> bool:
    return world.subscription in {item["id"] for item in response.json["items"]}


TABLE = {
    "create_subscription": Operation(lambda w, c: Request(body={"sink": SINK, "protocol": "HTTP"})),
    "list_subscriptions": Operation(lambda w, c: Request(query={"limit": 200}), shows=_listed),
    "get_subscription": Operation(lambda w, c: Request({"subscription_id": w.subscription})),
    "pause_subscription": Operation(lambda w, c: Request({"subscription_id": w.fresh()})),
    "resume_subscription": Operation(lambda w, c: Request({"subscription_id": w.fresh(paused=True)})),
    "rotate_secret": Operation(lambda w, c: Request({"subscription_id": w.subscription})),
    "delete_subscription": Operation(lambda w, c: Request({"subscription_id": w.fresh()})),
    "list_deliveries": Operation(lambda w, c: Request({"subscription_id": w.subscription})),
    "list_audit": Operation(
        lambda w, c: Request(query={"limit": 200}),
        shows=lambda w, c, r: "Y56" in {i["region"] for i in r.json["items"]},
    ),
    "redeliver": Operation(
        lambda w, c: Request(
            {"subscription_id": w.subscription},
            body={"since": "2026-01-01T00:00:00+00:00", "until": "2026-02-01T00:00:00+00:00"},
        )
    ),
}

"""The limit a token meets is the deployment's, not each process's, when the counts are kept in
a shared store (Redis, as Docker Compose and Kubernetes run it): two real gunicorn web
processes, one token, one count. With the embedded in-process default each process counts on
its own, which is what RATE_LIMIT_STORAGE_URI's description says."""

from __future__ import annotations

import requests

from services.enrolment.store import metadata
from services.registry import declaration
from shared import migrate
from shared.db import Database
from tests.harness import service_environment
from tests.processes import WebProcess

LIMIT = 4


def _two_web_processes(tmp_path, kafka_bootstrap, topic_prefix, signing_keys, **environ) -> list[WebProcess]:
    url = f"sqlite:///{tmp_path / 'enrolment.db'}"
    migrate.upgrade(declaration("enrolment"), Database(url, metadata))
    settings = service_environment(url, kafka_bootstrap, topic_prefix, signing_keys[1])
    settings |= {"CONVENE_DATA_DIR": str(tmp_path), "RATE_LIMIT_PER_MINUTE": str(LIMIT), **environ}
    return [WebProcess("enrolment", settings, tmp_path, workers=1).start() for _ in range(2)]


def _statuses(webs: list[WebProcess], token: str, rounds: int) -> list[int]:
    headers = {"Authorization": "Bearer " + token}
    return [
        requests.get(f"{web.base_url}/v1/offers/none", headers=headers, timeout=10).status_code
        for _ in range(rounds)
        for web in webs
    ]


def test_a_token_meets_one_limit_across_every_process_sharing_the_store(
    tmp_path, kafka_bootstrap, topic_prefix, signing_keys, make_token, redis_url
):
    webs = _two_web_processes(tmp_path, kafka_bootstrap, topic_prefix, signing_keys, RATE_LIMIT_STORAGE_URI=redis_url)
    try:
        statuses = _statuses(webs, make_token("regional_admin", "Y56"), rounds=4)  # 8 requests, alternating processes
        assert statuses.count(404) == LIMIT and statuses.count(429) == 8 - LIMIT, statuses
        assert _statuses(webs, make_token("regional_admin", "Y58"), rounds=1) == [404, 404]  # another token's own count
    finally:
        for web in webs:
            web.stop()


def test_in_process_counts_give_each_process_its_own_limit(
    tmp_path, kafka_bootstrap, topic_prefix, signing_keys, make_token
):
    webs = _two_web_processes(tmp_path, kafka_bootstrap, topic_prefix, signing_keys)
    try:
        statuses = _statuses(webs, make_token("regional_admin", "Y56"), rounds=4)
        assert statuses.count(404) == 2 * LIMIT, statuses
    finally:
        for web in webs:
            web.stop()


def test_requests_go_on_when_the_shared_store_is_away(
    tmp_path, kafka_bootstrap, topic_prefix, signing_keys, make_token
):
    webs = _two_web_processes(
        tmp_path, kafka_bootstrap, topic_prefix, signing_keys, RATE_LIMIT_STORAGE_URI="redis://127.0.0.1:9/0"
    )
    try:
        assert set(_statuses(webs, make_token("regional_admin", "Y56"), rounds=3)) == {404}
    finally:
        for web in webs:
            web.stop()

"""The processes of the pipeline benchmark, each alone so that it has a core's worth of Python:
`python -m bench.pipeline_proc MODE`.

  relay          enrolment's outbox relay (shared.relay.Relay) on DATABASE_URL
  consume        scheduling's roster consumer (shared.consumer.Consumer, the real handlers)
  floor-produce  kafka-python alone: send the payloads of BENCH_PAYLOADS (JSON lines) to
                 BENCH_TOPIC in batches of RELAY_BATCH_SIZE, flushing each (as the relay does)
  floor-consume  kafka-python alone: read BENCH_COUNT messages of BENCH_TOPIC in a group,
                 committing after each poll (as the consumer does)

The first two run their loop in the main thread under pyinstrument when BENCH_PROFILE_DIR is
set. The floor processes print one JSON line with their timings (time.monotonic, which is
the same clock in every process on Linux).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import MetaData

from bench.profiling import profiled
from shared import kafka, logs
from shared.consumer import Consumer, Subscription
from shared.db import Database
from shared.relay import Relay


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _profile_dir() -> Path | None:
    folder = os.environ.get("BENCH_PROFILE_DIR")
    return Path(folder) if folder else None


def relay() -> None:
    from services.enrolment.settings import EnrolmentSettings

    settings = EnrolmentSettings.load()
    stop = _stop_on_signals()
    with profiled(_profile_dir(), "relay"):
        Relay(settings, Database(settings.database_url, MetaData())).run(stop)


def consume() -> None:
    from services.scheduling.app import build_runtime
    from services.scheduling.handlers import SUBSCRIPTIONS

    runtime = build_runtime()
    rosters = next(s for s in SUBSCRIPTIONS if s.name == "rosters")
    stop = _stop_on_signals()
    with profiled(_profile_dir(), "consumer"):
        Consumer(runtime.settings, runtime.db, Subscription(rosters.name, rosters.handlers)).run(stop)


def floor_produce() -> None:
    from shared.config import Settings

    settings = Settings.load()
    topic, batch = os.environ["BENCH_TOPIC"], settings.relay_batch_size
    rows = [json.loads(line) for line in Path(os.environ["BENCH_PAYLOADS"]).read_text().splitlines()]
    messages = [
        (row["key"].encode(), row["value"].encode(), [(n, v.encode()) for n, v in row["headers"]]) for row in rows
    ]
    producer = kafka.producer(settings)
    producer.partitions_for(topic)  # metadata first: the timing is of sending, not of connecting
    started = time.monotonic()
    for start in range(0, len(messages), batch):
        futures = [producer.send(topic, key=k, value=v, headers=h) for k, v, h in messages[start : start + batch]]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=0)
    print(json.dumps({"started": started, "finished": time.monotonic(), "sent": len(messages)}), flush=True)
    producer.close()


def floor_consume() -> None:
    from shared.config import Settings

    settings = Settings.load()
    topic, wanted = os.environ["BENCH_TOPIC"], int(os.environ["BENCH_COUNT"])
    client = kafka.consumer(settings, f"{settings.topic_prefix}bench.floor")
    client.subscribe([topic])
    while not client.assignment():
        client.poll(timeout_ms=200)
    print(json.dumps({"ready": time.monotonic()}), flush=True)
    received, first = 0, None
    while received < wanted:
        batches = client.poll(timeout_ms=200)
        for messages in batches.values():
            received += len(messages)
        if batches:
            first = first or time.monotonic()
            client.commit()
    print(json.dumps({"first": first, "finished": time.monotonic(), "received": received}), flush=True)
    client.close()


MODES = {"relay": relay, "consume": consume, "floor-produce": floor_produce, "floor-consume": floor_consume}

if __name__ == "__main__":
    logs.configure(f"bench-{sys.argv[1]}", os.environ.get("LOG_LEVEL", "WARNING"))
    MODES[sys.argv[1]]()

"""The client against a live broker, topology and serve (BOOTSTRAP_SERVERS, METER_URL; PythonClientIT sets them).

Skipped without them. Each test ends the streams it begins, so the fleet test sees its own streams alone.
"""

from __future__ import annotations

import json
import os
import time
import unittest
import urllib.request
import uuid

from confluent_kafka import Consumer

from llm_metering import GlobalMeter, MeterProducer
from llm_metering.producer import now_ms
from tests.kafka_hash import java_partition

BOOTSTRAP = os.environ.get("BOOTSTRAP_SERVERS")
METER_URL = os.environ.get("METER_URL")
WAIT_S = 90.0  # a bound for a loaded 2-core machine, not an expectation


def wait_for(what: str, read, done):
    """Polls ``read()`` until ``done(value)``, by content; fails with the last value after ``WAIT_S``."""
    deadline = time.monotonic() + WAIT_S
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r} after {WAIT_S} s")
        time.sleep(0.2)


def get_json(path: str):
    try:
        with urllib.request.urlopen(METER_URL + path, timeout=5) as r:
            return json.loads(r.read())
    except OSError:
        return None


class SeedMeter:
    """The seed's per-stream and global TPS (GlobalMeter._SessionMeter.tps, get_stats' mean and rounding), fed
    event times instead of time.monotonic(): what the replay of the same trace gives."""

    def __init__(self) -> None:
        self.streams: dict[str, dict] = {}

    def begin(self, sid: str) -> None:
        self.streams[sid] = {"output": 0, "reasoning": 0, "first": 0.0, "last": 0.0}

    def delta(self, sid: str, kind: str, running: int, ts_ms: int) -> None:
        s = self.streams[sid]
        t = ts_ms / 1000.0
        if s["first"] == 0.0:
            s["first"] = t
        s["last"] = t
        s[kind] = running

    def stream_tps(self, sid: str) -> float | None:
        s = self.streams[sid]
        if s["first"] == 0.0 or s["last"] <= s["first"]:
            return None
        return (s["output"] + s["reasoning"]) / (s["last"] - s["first"])

    def stats(self) -> dict:
        rates = [v for sid in self.streams for v in [self.stream_tps(sid)] if v is not None and v > 0]
        tps = sum(rates) / len(rates) if rates else None
        return {"tps": round(tps, 1) if tps is not None else None, "tps_available": tps is not None,
                "estimated": False, "active": len(self.streams)}


@unittest.skipUnless(BOOTSTRAP and METER_URL, "needs BOOTSTRAP_SERVERS and METER_URL (PythonClientIT sets them)")
class LiveTest(unittest.TestCase):
    def test_a_python_fleet_through_the_drop_in_gives_the_seeds_stats_and_ttft(self) -> None:
        base = now_ms() - 3000
        clock_ms = [base]
        meter = GlobalMeter(BOOTSTRAP, METER_URL, clock=lambda: clock_ms[0], cache_s=0.0)
        seed = SeedMeter()
        run = uuid.uuid4().hex[:8]
        # (offset ms, stream, event, running): three streams, one thinking first
        trace = [(0, "a", "begin", None), (0, "b", "begin", None), (0, "c", "begin", None),
                 (50, "b", "reasoning", 4), (100, "a", "output", 1), (150, "b", "output", 1),
                 (200, "c", "output", 3), (450, "b", "output", 5), (600, "a", "output", 6),
                 (1000, "a", "output", 10), (1400, "c", "output", 12)]
        for offset, name, kind, running in trace:
            clock_ms[0] = base + offset
            sid = f"py-{run}-{name}"
            if kind == "begin":
                meter.begin_session(sid, model="py-model", tenant="py-tenant")
                seed.begin(sid)
            elif kind == "output":
                meter.record_token(sid, running)
                seed.delta(sid, "output", running, clock_ms[0])
            else:
                meter.record_reasoning(sid, running)
                seed.delta(sid, "reasoning", running, clock_ms[0])
        self.assertEqual(0, meter.flush(10), "all delivered")

        expected = seed.stats()
        self.assertEqual({"tps": 14.5, "tps_available": True, "estimated": False, "active": 3}, expected)
        keys = ("tps", "tps_available", "estimated", "active")
        stats = wait_for("the fleet's stats from serve", lambda: meter.get_stats(),
                         lambda s: {k: s[k] for k in keys} == expected)
        self.assertEqual(["tps", "tps_available", "estimated", "high", "low", "active"], list(stats))
        for name in "abc":
            sid = f"py-{run}-{name}"
            record = wait_for(f"stream {sid}", lambda: get_json(f"/api/streams/{sid}"),
                              lambda r: r is not None and r.get("tps") == round(seed.stream_tps(sid), 1))
            self.assertEqual((seed.streams[sid]["output"], seed.streams[sid]["reasoning"]),
                             (record["output"], record["reasoning"]))
        # hermes' TTFT: to the first *output* token; the meter's own starts at the first delta, reasoning included
        self.assertEqual({"a": 100, "b": 150, "c": 200},
                         {n: meter.get_stats(f"py-{run}-{n}")["ttft_ms"] for n in "abc"})
        self.assertEqual(50, get_json(f"/api/streams/py-{run}-b")["ttft_ms"])

        clock_ms[0] = base + 2000
        for name, final in (("a", 10), ("b", 5), ("c", 12)):
            meter.end_session(f"py-{run}-{name}", final, 100)
        self.assertEqual(0, meter.flush(10))
        wait_for("the fleet ended", lambda: meter.get_stats()["active"], lambda active: active == 0)
        self.assertEqual(0, meter.dropped)
        meter.close()

    def test_keys_land_on_the_partition_javas_default_partitioner_picks(self) -> None:
        run = uuid.uuid4().hex[:8]
        ids = [f"key-{run}-{i}" for i in range(40)]
        with MeterProducer(BOOTSTRAP) as producer:
            for sid in ids:
                producer.begin(sid)
                producer.end(sid, 0)
            self.assertEqual(0, producer.flush(10))
        consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"py-{run}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        try:
            partitions = len(consumer.list_topics("metering.deltas", timeout=10).topics["metering.deltas"].partitions)
            self.assertGreater(partitions, 1, "a test of routing needs several partitions")
            consumer.subscribe(["metering.deltas"])
            seen: dict[str, set[int]] = {}
            records = 0
            deadline = time.monotonic() + WAIT_S
            while records < 2 * len(ids) and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is None or msg.error() or not msg.key().decode().startswith(f"key-{run}-"):
                    continue
                records += 1
                seen.setdefault(msg.key().decode(), set()).add(msg.partition())
        finally:
            consumer.close()
        self.assertEqual({sid: {java_partition(sid, partitions)} for sid in ids}, seen)
        self.assertGreater(len({java_partition(sid, partitions) for sid in ids}), 1, "several partitions used")


if __name__ == "__main__":
    unittest.main()

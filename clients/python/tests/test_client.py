"""The client without a broker: the wire JSON, validation, drops, a dead cluster, reading serve, ttft_ms.

Run alone: ``cd clients/python && /usr/bin/python3 -m unittest tests.test_client``.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from llm_metering import GlobalMeter, MeterProducer, encode_event
from llm_metering.global_meter import idle_stats


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_lines(logs: unittest.case._LoggingWatcher) -> list[str]:
    """The client's own log lines (librdkafka's go to the child logger llm_metering.librdkafka)."""
    return [r.getMessage() for r in logs.records if r.name == "llm_metering"]


class Clock:
    """A hand-driven app clock, epoch ms."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


class WireJsonTest(unittest.TestCase):
    def test_the_four_events_are_the_contracts_examples_byte_for_byte(self) -> None:
        self.assertEqual(
            b'{"type":"begin","stream_id":"s1","ts":1790000000000,"model":"llama-3.1-70b","tenant":"acme"}',
            encode_event("begin", "s1", 1790000000000, model="llama-3.1-70b", tenant="acme"))
        self.assertEqual(b'{"type":"output","stream_id":"s1","ts":1790000000250,"running":1}',
                         encode_event("output", "s1", 1790000000250, running=1))
        self.assertEqual(b'{"type":"reasoning","stream_id":"s1","ts":1790000000300,"running":4}',
                         encode_event("reasoning", "s1", 1790000000300, running=4))
        self.assertEqual(
            b'{"type":"end","stream_id":"s1","ts":1790000009000,"final_output_tokens":420,"input_tokens":1200}',
            encode_event("end", "s1", 1790000009000, final_output_tokens=420, input_tokens=1200,
                         reasoning_tokens=None, cached_input_tokens=None))

    def test_a_begin_without_model_or_tenant_leaves_them_out(self) -> None:
        self.assertEqual(b'{"type":"begin","stream_id":"s1","ts":5}',
                         encode_event("begin", "s1", 5, model=None, tenant=None))

    def test_what_the_meter_would_dead_letter_is_a_value_error(self) -> None:
        for bad in (lambda: encode_event("output", "s1", 1, running=-3),
                    lambda: encode_event("output", "s1", 1, running=1.5),
                    lambda: encode_event("output", "s1", 1, running=True),
                    lambda: encode_event("output", "", 1, running=1),
                    lambda: encode_event("output", "x" * 257, 1, running=1),
                    lambda: encode_event("output", "s1", -1, running=1),
                    lambda: encode_event("begin", "s1", 1, model=""),
                    lambda: encode_event("stop", "s1", 1)):
            with self.assertRaises(ValueError):
                bad()


class DropTest(unittest.TestCase):
    def test_a_full_queue_drops_counts_and_logs_one_line_per_burst(self) -> None:
        producer = MeterProducer(f"127.0.0.1:{closed_port()}", queue_buffering_max_messages=3)
        with self.assertLogs("llm_metering", logging.WARNING) as logs:
            queued = [producer.output("s1", n) for n in range(1, 6)]
        self.assertEqual([True, True, True, False, False], queued)
        self.assertEqual(2, producer.dropped)
        self.assertEqual(["llm-metering: dropping metering events (the local queue is full "
                          "(queue.buffering.max.messages)); 1 dropped so far"], own_lines(logs))
        producer.close(timeout=0)
        self.assertEqual(5, producer.dropped, "the three still queued at close count as dropped")

    def test_an_event_the_cluster_never_takes_is_dropped_at_its_timeout_and_after_close_every_event_drops(self) -> None:
        producer = MeterProducer(f"127.0.0.1:{closed_port()}", message_timeout_ms=300)
        with self.assertLogs("llm_metering", logging.DEBUG) as logs:
            self.assertTrue(producer.output("s1", 1))
            self.assertEqual(0, producer.flush(5), "the delivery report came")
        self.assertEqual(1, producer.dropped)
        self.assertTrue(own_lines(logs)[0].startswith("llm-metering: dropping metering events (not delivered: "),
                        own_lines(logs))
        self.assertIn("llm_metering.librdkafka", {r.name for r in logs.records}, "librdkafka's own lines")
        producer.close(timeout=0)
        self.assertFalse(producer.output("s1", 2))
        self.assertEqual(2, producer.dropped)

    def test_settings_take_underscores_for_dots_and_confluent_kafkas_callbacks_as_they_are(self) -> None:
        errors: list[object] = []
        producer = MeterProducer(f"127.0.0.1:{closed_port()}", linger_ms=1, error_cb=errors.append)
        producer.output("s1", 1)
        producer.close(timeout=0)
        self.assertEqual(1, producer.dropped)

    def test_the_partitioner_and_idempotence_cannot_be_changed(self) -> None:
        with self.assertRaises(ValueError):
            MeterProducer("127.0.0.1:1", partitioner="consistent_random")
        with self.assertRaises(ValueError):
            MeterProducer("127.0.0.1:1", enable_idempotence=False)


class DeadClusterTest(unittest.TestCase):
    CALLS = 200
    BOUND_MS = 50.0  # a behaviour promise (no call waits for the cluster), not a benchmark: generous on purpose

    def test_a_dead_cluster_and_a_dead_serve_cost_the_caller_no_exception_and_no_wait(self) -> None:
        meter = GlobalMeter(f"127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}")
        timings: list[float] = []
        for i in range(self.CALLS):
            sid = f"dead-{i}"
            for call in (lambda: meter.begin_session(sid, model="m"), lambda: meter.record_reasoning(sid, 2),
                         lambda: meter.record_token(sid, 1), lambda: meter.get_stats(sid),
                         lambda: meter.end_session(sid, 1, 10)):
                start = time.perf_counter()
                call()
                timings.append((time.perf_counter() - start) * 1000)
        median, worst = statistics.median(timings), max(timings)
        print(f"\n  dead cluster: {len(timings)} calls, median {median:.3f} ms, max {worst:.3f} ms")
        self.assertLess(median, self.BOUND_MS)
        self.assertEqual(idle_stats() | {"ttft_ms": None}, meter.get_stats("dead-0"))
        self.assertEqual(0, meter.dropped, "nothing dropped while the queue has room")
        meter.close(timeout=0.2)
        self.assertEqual(self.CALLS * 4, meter.dropped, "what the cluster never took counts as dropped at close")


class StatsServer:
    """A stand-in for serve's /api/stats, counting requests."""

    def __init__(self, body: dict, delay_s: float = 0.0) -> None:
        outer = self
        self.requests = 0
        self.authorization: str | None = None

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.requests += 1
                outer.authorization = self.headers.get("Authorization")
                time.sleep(delay_s)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(200 if self.path == "/api/stats" else 404)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as it should

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class GlobalMeterTest(unittest.TestCase):
    SERVE = {"tps": 47.3, "tps_available": True, "estimated": False, "high": 52.1, "low": 31.4, "active": 12,
             "ts": 1790000001000}

    def test_get_stats_is_serves_latest_tick_in_the_seeds_shape_read_at_most_once_a_second(self) -> None:
        serve = StatsServer(self.SERVE)
        try:
            meter = GlobalMeter(f"127.0.0.1:{closed_port()}", serve.url, cache_s=1.0)
            expected = {"tps": 47.3, "tps_available": True, "estimated": False, "high": 52.1, "low": 31.4,
                        "active": 12}
            self.assertEqual(expected, meter.get_stats())
            self.assertEqual(list(expected), list(meter.get_stats()), "the seed's keys in the seed's order")
            self.assertEqual(1, serve.requests, "the second read came from the cache")
        finally:
            serve.stop()
            meter.close(timeout=0)

    def test_a_slow_serve_costs_get_stats_its_http_timeout_then_the_idle_dict(self) -> None:
        serve = StatsServer(self.SERVE, delay_s=3.0)
        try:
            meter = GlobalMeter(f"127.0.0.1:{closed_port()}", serve.url, http_timeout=0.25)
            start = time.monotonic()
            with self.assertLogs("llm_metering", logging.WARNING):
                self.assertEqual(idle_stats(), meter.get_stats())
            waited = time.monotonic() - start
            self.assertLess(waited, 2.0, "waited for the timeout, not for the answer")
        finally:
            serve.stop()
            meter.close(timeout=0)

    def test_a_token_goes_to_serve_as_a_bearer_token(self) -> None:
        serve = StatsServer(self.SERVE)
        try:
            meter = GlobalMeter(f"127.0.0.1:{closed_port()}", serve.url, token="s3cret")
            self.assertEqual(12, meter.get_stats()["active"])
            self.assertEqual("Bearer s3cret", serve.authorization)
        finally:
            serve.stop()
            meter.close(timeout=0)

    def test_meter_is_one_process_wide_meter_configured_by_the_environment(self) -> None:
        from llm_metering import global_meter
        serve = StatsServer(self.SERVE)
        saved = {k: os.environ.get(k) for k in ("METERING_BOOTSTRAP_SERVERS", "METERING_URL", "METERING_TOKEN")}
        try:
            os.environ.update(METERING_BOOTSTRAP_SERVERS=f"127.0.0.1:{closed_port()}", METERING_URL=serve.url,
                              METERING_TOKEN="t0k")
            global_meter._meter = None
            m = global_meter.meter()
            self.assertIs(m, global_meter.meter())
            self.assertEqual(47.3, m.get_stats()["tps"])
            self.assertEqual("Bearer t0k", serve.authorization)
            m.close(timeout=0)
        finally:
            global_meter._meter = None
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
            serve.stop()

    def test_get_stats_falls_back_to_the_seeds_idle_dict_when_serve_is_gone(self) -> None:
        meter = GlobalMeter(f"127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}")
        with self.assertLogs("llm_metering", logging.WARNING) as logs:
            self.assertEqual({"tps": None, "tps_available": False, "estimated": False, "high": None, "low": None,
                              "active": 0}, meter.get_stats())
        self.assertEqual(1, len(own_lines(logs)))
        meter.close(timeout=0)

    def test_ttft_ms_is_begin_to_first_output_token_reasoning_excluded(self) -> None:
        clock = Clock(1_790_000_000_000)
        meter = GlobalMeter(f"127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}", clock=clock)
        meter.begin_session("t1")
        self.assertIsNone(meter.get_stats("t1")["ttft_ms"], "None before any token")
        clock.ms += 120
        meter.record_reasoning("t1", 30)
        self.assertIsNone(meter.get_stats("t1")["ttft_ms"], "reasoning is not the first output token")
        clock.ms += 230
        meter.record_token("t1", 1)
        clock.ms += 500
        meter.record_token("t1", 9)
        self.assertEqual(350, meter.get_stats("t1")["ttft_ms"])
        self.assertIsNone(meter.get_stats("never-begun")["ttft_ms"])
        self.assertNotIn("ttft_ms", meter.get_stats(), "a per-stream figure: only with a stream id")
        meter.close(timeout=0)

    def test_a_call_that_breaks_the_contract_is_rejected_not_raised(self) -> None:
        meter = GlobalMeter(f"127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}")
        with self.assertLogs("llm_metering", logging.WARNING) as logs:
            meter.begin_session("r1")
            meter.record_token("r1", -1)
            meter.record_token("", 1)
        self.assertEqual(2, meter.rejected)
        self.assertEqual(["llm-metering: not published, running must be between 0 and 9223372036854775807, "
                          "got -1 (1 rejected so far)"], own_lines(logs))
        meter.close(timeout=0)


@unittest.skipUnless(importlib.util.find_spec("pip"), "needs pip (Debian: python3-pip)")
class PackageTest(unittest.TestCase):
    def test_pip_installs_the_package_from_the_repo_path_with_confluent_kafka_its_one_dependency(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            src, site = Path(tmp, "src"), Path(tmp, "site")
            shutil.copytree(Path(__file__).resolve().parents[1], src,
                            ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
            # --no-deps, offline: the confluent-kafka already installed serves (e.g. Debian's python3-confluent-kafka)
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation",
                            "--no-deps", "--target", str(site), str(src)], check=True, capture_output=True)
            imported = subprocess.run(
                [sys.executable, "-c", "import llm_metering; print(llm_metering.__file__)"], cwd="/",
                env=dict(os.environ, PYTHONPATH=str(site)), check=True, capture_output=True, text=True).stdout
            self.assertEqual(str(site / "llm_metering" / "__init__.py"), imported.strip())
            metadata = (site / "llm_metering-0.1.0.dist-info" / "METADATA").read_text()
            requires = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
            self.assertEqual(["confluent-kafka>=1.7"], [r.replace(" (", "").rstrip(")") for r in requires])
            self.assertIn("Requires-Python: >=3.11", metadata.splitlines())


class Murmur2Test(unittest.TestCase):
    def test_the_tests_murmur2_is_javas(self) -> None:
        from tests.kafka_hash import murmur2
        # Kafka's own UtilsTest vectors, as signed 32-bit ints
        for data, java in ((b"21", -973932308), (b"foobar", -790332482), (b"a-little-bit-long-string", -985981536),
                           (b"a-little-bit-longer-string", -1486304829),
                           (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971), (b"abc", 479470107)):
            self.assertEqual(java & 0xFFFFFFFF, murmur2(data), data)


if __name__ == "__main__":
    unittest.main()

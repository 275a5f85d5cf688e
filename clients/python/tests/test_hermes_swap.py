"""hermes-webui's backend with its meter swapped for the drop-in: the one import it changes, every call it makes.

The calls are those of hermes-webui's ``api/streaming.py`` at its commit df65251 (``begin_session``,
``set_pending_started_at``, ``get_interval``, ``record_reasoning``, ``record_token``, ``get_stats(stream_id)``,
``get_ttft_ms``, ``end_session``). Run alone: ``cd clients/python && /usr/bin/python3 -m unittest tests.test_hermes_swap``.
"""

from __future__ import annotations

import logging
import unittest

from llm_metering import GlobalMeter, global_meter
from tests.test_client import Clock, closed_port


class HermesBackendSwapTest(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = Clock(1_790_000_000_000)
        # what meter() builds from the environment, here with a hand-driven clock, a dead cluster and a dead serve
        global_meter._meter = GlobalMeter(f"127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}",
                                          clock=self.clock)

    def tearDown(self) -> None:
        global_meter._meter.close(timeout=0)
        global_meter._meter = None

    def test_every_call_hermes_streaming_makes_works_and_get_stats_has_the_seeds_keys_plus_ttft_ms(self) -> None:
        from llm_metering import meter  # instead of hermes-webui's `from api.metering import meter`

        clock = self.clock
        meter().begin_session("s1")
        meter().set_pending_started_at("s1", (clock.ms - 400) / 1000)  # the user sent it 400 ms before the begin
        self.assertEqual(10.0, meter().get_interval(), "no token yet: the ticker may idle")
        clock.ms += 100
        meter().record_reasoning("s1", 12)
        clock.ms += 150
        meter().record_token("s1", 1)
        self.assertEqual(1.0, meter().get_interval(), "a token in the last 60 s: tick once a second")
        with self.assertLogs("llm_metering", logging.WARNING):
            stats = meter().get_stats("s1")
        self.assertEqual({"tps": None, "tps_available": False, "estimated": False, "high": None, "low": None,
                          "active": 0, "ttft_ms": 650}, stats, "serve is down: the seed's idle dict, and the ttft")
        self.assertEqual(["tps", "tps_available", "estimated", "high", "low", "active", "ttft_ms"], list(stats))
        self.assertEqual(650, meter().get_ttft_ms("s1"), "from the send, as hermes measures it, reasoning excluded")
        meter().end_session("s1", 40, 900)
        self.assertIsNone(meter().get_ttft_ms("s1"))
        self.assertEqual(0, meter().rejected)

    def test_a_send_time_hermes_would_ignore_is_ignored_and_ttft_runs_from_the_begin(self) -> None:
        from llm_metering import meter

        meter().begin_session("s2")
        for bad in (None, "soon", float("nan"), float("inf"), 0, -5):
            meter().set_pending_started_at("s2", bad)
        meter().set_pending_started_at("never-begun", 1.0)
        self.clock.ms += 250
        meter().record_token("s2", 1)
        self.assertEqual(250, meter().get_ttft_ms("s2"))
        self.assertIsNone(meter().get_ttft_ms("never-begun"))


if __name__ == "__main__":
    unittest.main()

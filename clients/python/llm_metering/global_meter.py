"""GlobalMeter: the seed's interface, metered fleet-wide by llm-metering instead of in this process."""

from __future__ import annotations

import http.client
import json
import logging
import math
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from llm_metering.producer import DEFAULT_TOPIC, Burst, MeterProducer, now_ms

#: The seed's stats keys, in the seed's order.
STATS_KEYS = ("tps", "tps_available", "estimated", "high", "low", "active")
_STALE_SECS = 60.0       # the seed's: a session without a token for this long is inactive
_FORGET_SECS = 3600.0    # a begun session never fed is forgotten locally after this


def idle_stats() -> dict:
    """What the seed's ``get_stats`` gives with no session: also the answer while ``serve`` is unreachable."""
    return {"tps": None, "tps_available": False, "estimated": False, "high": None, "low": None, "active": 0}


@dataclass
class _Local:
    begin_ms: int
    first_output_ms: int | None = None
    pending_started_ms: float | None = None  # hermes-webui's send time, when it tells us (set_pending_started_at)
    last_token_s: float = 0.0      # time.monotonic() of the last token, 0.0 before one


class GlobalMeter:
    """Drop-in for the seed's ``GlobalMeter``: same methods, same ``get_stats`` dict, never raises.

    ``begin_session``, ``record_token``, ``record_reasoning`` and ``end_session`` publish delta events through a
    ``MeterProducer`` (dropped, never raised, when the cluster is away). ``get_stats`` returns the fleet's latest
    figures from ``serve``'s ``/api/stats`` (fetched at most once per ``cache_s``, waiting at most ``http_timeout``;
    the seed's idle dict while ``serve`` is unreachable), plus, for a ``stream_id``, that stream's ``ttft_ms``: wall
    time from its ``begin_session`` to its first ``record_token`` (reasoning excluded), ``None`` before it.
    Arguments that break the wire contract (a negative count, an empty id) are not published: counted in
    ``rejected`` with one warning per burst.
    """

    def __init__(self, bootstrap_servers: str | None = None, meter_url: str | None = None, *,
                 producer: MeterProducer | None = None, topic: str = DEFAULT_TOPIC, token: str | None = None,
                 http_timeout: float = 0.25, cache_s: float = 1.0, clock: Callable[[], int] = now_ms,
                 **kafka_config: object) -> None:
        self._clock = clock
        self.producer = producer or MeterProducer(
            bootstrap_servers or os.environ.get("METERING_BOOTSTRAP_SERVERS", "localhost:9092"),
            topic, clock=clock, **kafka_config)
        self.meter_url = (meter_url or os.environ.get("METERING_URL", "http://localhost:8080")).rstrip("/")
        self._token = token if token is not None else os.environ.get("METERING_TOKEN")
        self._http_timeout = http_timeout
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._sessions: dict[str, _Local] = {}
        self._fetch_lock = threading.Lock()
        self._cached: dict | None = None
        self._cached_at = float("-inf")
        self._rejections = Burst("llm-metering: not published, %s (%d rejected so far)")
        self._unreachable = Burst("llm-metering: serve unreachable (%s), reporting idle stats (%d failed reads)")

    @property
    def rejected(self) -> int:
        return self._rejections.count

    @property
    def dropped(self) -> int:
        return self.producer.dropped

    # ── The seed's interface ──────────────────────────────────────────────────

    def begin_session(self, stream_id: str, model: str | None = None, tenant: str | None = None) -> None:
        ts = self._clock()
        if self._publish(self.producer.begin, stream_id, model, tenant, ts=ts):
            with self._lock:
                self._forget(time.monotonic())
                self._sessions[stream_id] = _Local(begin_ms=ts)

    def record_token(self, stream_id: str, running_output_tokens: int) -> None:
        ts = self._clock()
        if self._publish(self.producer.output, stream_id, running_output_tokens, ts=ts):
            self._touch(stream_id, ts, output=True)

    def record_reasoning(self, stream_id: str, running_reasoning_tokens: int) -> None:
        ts = self._clock()
        if self._publish(self.producer.reasoning, stream_id, running_reasoning_tokens, ts=ts):
            self._touch(stream_id, ts, output=False)

    def end_session(self, stream_id: str, final_output_tokens: int, input_tokens: int = 0,
                    reasoning_tokens: int | None = None, cached_input_tokens: int | None = None) -> None:
        with self._lock:
            self._sessions.pop(stream_id, None)
        self._publish(self.producer.end, stream_id, final_output_tokens, input_tokens, reasoning_tokens,
                      cached_input_tokens, ts=self._clock())

    def set_pending_started_at(self, stream_id: str, pending_started_at: object) -> None:
        """hermes-webui's: when the user sent the turn (epoch seconds); ``ttft_ms`` then runs from it, not from the
        begin. Ignored, as hermes ignores it, unless a finite positive number, and for a stream not begun."""
        try:
            value = float(pending_started_at)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        if not math.isfinite(value) or value <= 0:
            return
        with self._lock:
            s = self._sessions.get(stream_id)
            if s is not None:
                s.pending_started_ms = value * 1000.0

    def get_ttft_ms(self, stream_id: str) -> int | None:
        """hermes-webui's name for ``ttft_ms``."""
        return self.ttft_ms(stream_id)

    def get_interval(self) -> float:
        """The seed's: 1.0 while a session of this process got a token in the last 60 s, else 10.0."""
        now = time.monotonic()
        with self._lock:
            busy = any(s.last_token_s > 0 and now - s.last_token_s <= _STALE_SECS for s in self._sessions.values())
        return 1.0 if busy else 10.0

    def get_stats(self, stream_id: str | None = None) -> dict:
        with self._lock:
            self._forget(time.monotonic())
        stats = self._global_stats()
        if stream_id is not None:
            stats["ttft_ms"] = self.ttft_ms(stream_id)
        return stats

    # ── Beyond the seed ───────────────────────────────────────────────────────

    def ttft_ms(self, stream_id: str) -> int | None:
        """Wall time from the stream's begin (or the send time given to ``set_pending_started_at``) to its first
        output token, ms; None before it or for an unknown id."""
        with self._lock:
            s = self._sessions.get(stream_id)
            if s is None or s.first_output_ms is None:
                return None
            if s.pending_started_ms is not None:
                return max(0, round(s.first_output_ms - s.pending_started_ms))
            return s.first_output_ms - s.begin_ms

    def flush(self, timeout: float = 5.0) -> int:
        return self.producer.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        self.producer.close(timeout)

    # ── Internals ─────────────────────────────────────────────────────────────

    def _publish(self, send: Callable[..., bool], stream_id: str, *args: object, ts: int) -> bool:
        try:
            send(stream_id, *args, ts=ts)
            return True
        except ValueError as e:
            self._rejections.add(str(e))
            return False

    def _touch(self, stream_id: str, ts: int, output: bool) -> None:
        now = time.monotonic()
        with self._lock:
            s = self._sessions.get(stream_id)
            if s is None:
                return
            s.last_token_s = now
            if output and s.first_output_ms is None:
                s.first_output_ms = ts

    def _forget(self, now: float) -> None:
        """Bounds the local sessions as the seed does: stale after 60 s without a token (never fed: an hour)."""
        for sid in [sid for sid, s in self._sessions.items()
                    if (s.last_token_s > 0 and now - s.last_token_s > _STALE_SECS)
                    or (s.last_token_s == 0 and self._clock() - s.begin_ms > _FORGET_SECS * 1000)]:
            del self._sessions[sid]

    def _global_stats(self) -> dict:
        with self._fetch_lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached_at >= self._cache_s:
                self._cached = self._fetch()
                self._cached_at = time.monotonic()
            return dict(self._cached)

    def _fetch(self) -> dict:
        request = urllib.request.Request(self.meter_url + "/api/stats", headers={"Accept": "application/json"})
        if self._token:
            request.add_header("Authorization", "Bearer " + self._token)
        try:
            with urllib.request.urlopen(request, timeout=self._http_timeout) as response:
                body = json.loads(response.read())
            stats = idle_stats()
            stats.update({k: body[k] for k in STATS_KEYS if k in body})
            return stats
        except urllib.error.HTTPError as e:
            if e.code != 503:  # 503: serve has no tick yet, a normal start
                self._unreachable.add(f"HTTP {e.code}")
        except (OSError, ValueError, http.client.HTTPException) as e:
            self._unreachable.add(f"{type(e).__name__}: {e}")
        return idle_stats()


_meter: GlobalMeter | None = None
_meter_lock = threading.Lock()


def meter() -> GlobalMeter:
    """The process's meter, as the seed's module has it: built on first use from ``METERING_BOOTSTRAP_SERVERS``
    (default ``localhost:9092``), ``METERING_URL`` (default ``http://localhost:8080``) and ``METERING_TOKEN``."""
    global _meter
    with _meter_lock:
        if _meter is None:
            _meter = GlobalMeter()
        return _meter

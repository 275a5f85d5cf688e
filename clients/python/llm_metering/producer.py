"""MeterProducer: the wire contract's delta events, published without ever blocking or raising into the caller."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaException, Producer

log = logging.getLogger("llm_metering")

DEFAULT_TOPIC = "metering.deltas"
#: librdkafka's own default, set explicitly: the most events held locally while the cluster is slow or away.
DEFAULT_QUEUE_MAX_MESSAGES = 100_000
MAX_ID_CHARS = 256
MAX_COUNT = 2**63 - 1
#: confluent-kafka's own settings, not librdkafka's: their names keep their underscores.
PYTHON_SETTINGS = frozenset({"error_cb", "throttle_cb", "stats_cb", "oauth_cb", "on_delivery", "logger"})
#: Drops closer together than this are one burst: one log line for all of them.
BURST_GAP_S = 10.0


def now_ms() -> int:
    """The app's wall clock, epoch milliseconds: the events' ``ts``."""
    return time.time_ns() // 1_000_000


def _label(name: str, value: object, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    if not 1 <= len(value) <= MAX_ID_CHARS:
        raise ValueError(f"{name} must be 1 to {MAX_ID_CHARS} characters, got {len(value)}")


def _count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{name} must be between 0 and {MAX_COUNT}, got {value}")


def encode_event(event_type: str, stream_id: str, ts: int, **fields: object) -> bytes:
    """One delta event as the wire contract's UTF-8 JSON: ``type``, ``stream_id``, ``ts``, then ``fields`` in order,
    fields whose value is ``None`` left out. Raises ``ValueError`` for what the meter would dead-letter."""
    if event_type not in ("begin", "output", "reasoning", "end"):
        raise ValueError(f"type must be begin, output, reasoning or end, got {event_type!r}")
    _label("stream_id", stream_id, True)
    _count("ts", ts)
    event: dict[str, object] = {"type": event_type, "stream_id": stream_id, "ts": ts}
    for name, value in fields.items():
        if value is None:
            continue
        if name in ("model", "tenant"):
            _label(name, value, False)
        else:
            _count(name, value)
        event[name] = value
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Burst:
    """Counts events of one kind and logs one line per burst (events closer than ``BURST_GAP_S``), not per event."""

    def __init__(self, message: str, level: int = logging.WARNING) -> None:
        self._message = message
        self._level = level
        self._lock = threading.Lock()
        self._last = float("-inf")
        self.count = 0

    def add(self, reason: str, n: int = 1) -> None:
        now = time.monotonic()
        with self._lock:
            self.count += n
            first = now - self._last >= BURST_GAP_S
            self._last = now
            total = self.count
        if first:
            log.log(self._level, self._message, reason, total)


class MeterProducer:
    """Publishes delta events to ``metering.deltas``, keyed by stream id and partitioned as Java's clients do.

    Every call returns at once: an event is queued (``True``) or dropped (``False``, counted in ``dropped``, one
    warning per burst of drops). Events are dropped when the local queue is full (``queue.buffering.max.messages``,
    e.g. while the cluster is unreachable) or when the cluster does not take them within ``message.timeout.ms``
    (5 minutes). Arguments that break the wire contract raise ``ValueError``: a bug in the caller, not an outage.
    """

    def __init__(self, bootstrap_servers: str, topic: str = DEFAULT_TOPIC, *,
                 clock: Callable[[], int] = now_ms, **kafka_config: object) -> None:
        config: dict[str, object] = {
            "client.id": "llm-metering-python",
            "queue.buffering.max.messages": DEFAULT_QUEUE_MAX_MESSAGES,
            "logger": logging.getLogger("llm_metering.librdkafka"),
        }
        config.update({k if k in PYTHON_SETTINGS else k.replace("_", "."): v for k, v in kafka_config.items()})
        for name, value in (("partitioner", "murmur2_random"), ("enable.idempotence", True)):
            if name in config and config[name] != value:
                raise ValueError(f"{name} must be {value!r}: the meter relies on it, got {config[name]!r}")
            config[name] = value
        config["bootstrap.servers"] = bootstrap_servers
        self.topic = topic
        self._clock = clock
        self._drops = Burst("llm-metering: dropping metering events (%s); %d dropped so far")
        self._closed = False
        self._producer = Producer(config)

    @property
    def dropped(self) -> int:
        """Events dropped so far: queue full, not delivered in time, or published after ``close()``."""
        return self._drops.count

    def begin(self, stream_id: str, model: str | None = None, tenant: str | None = None, *,
              ts: int | None = None) -> bool:
        return self._send(stream_id, encode_event("begin", stream_id, self._ts(ts), model=model, tenant=tenant))

    def output(self, stream_id: str, running: int, *, ts: int | None = None) -> bool:
        """``running``: the stream's output count so far (not an increment)."""
        _count("running", running)
        return self._send(stream_id, encode_event("output", stream_id, self._ts(ts), running=running))

    def reasoning(self, stream_id: str, running: int, *, ts: int | None = None) -> bool:
        """``running``: the stream's reasoning count so far (not an increment)."""
        _count("running", running)
        return self._send(stream_id, encode_event("reasoning", stream_id, self._ts(ts), running=running))

    def end(self, stream_id: str, final_output_tokens: int, input_tokens: int = 0,
            reasoning_tokens: int | None = None, cached_input_tokens: int | None = None, *,
            ts: int | None = None) -> bool:
        _count("final_output_tokens", final_output_tokens)
        return self._send(stream_id, encode_event(
            "end", stream_id, self._ts(ts), final_output_tokens=final_output_tokens, input_tokens=input_tokens,
            reasoning_tokens=reasoning_tokens, cached_input_tokens=cached_input_tokens))

    def flush(self, timeout: float = 5.0) -> int:
        """Waits up to ``timeout`` seconds for queued events to be delivered; returns how many are still queued."""
        return self._producer.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Flushes for up to ``timeout`` seconds; events still queued then count as dropped. Later calls drop."""
        if self._closed:
            return
        left = self.flush(timeout)
        self._closed = True
        if left:
            self._drops.add(f"{left} still queued at close", left)

    def __enter__(self) -> MeterProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ts(self, ts: int | None) -> int:
        return self._clock() if ts is None else ts

    def _send(self, stream_id: str, payload: bytes) -> bool:
        if self._closed:
            self._drops.add("the producer is closed")
            return False
        try:
            self._producer.produce(self.topic, value=payload, key=stream_id.encode("utf-8"),
                                   on_delivery=self._delivered)
            queued = True
        except BufferError:
            self._drops.add("the local queue is full (queue.buffering.max.messages)")
            queued = False
        except KafkaException as e:
            self._drops.add(str(e))
            queued = False
        self._producer.poll(0)  # serves delivery reports (drops) without waiting
        return queued

    def _delivered(self, err: object, _msg: object) -> None:
        if err is not None:
            self._drops.add(f"not delivered: {err}")

#!/usr/bin/env python3
"""Generate golden metering traces and their expected outputs.

Every expected output is produced by running the seed's own ``GlobalMeter``
(``/work/shared/seed/metering.py``) against a fake monotonic clock driven by
the event timestamps of the trace.  See ``README.md`` next to this file for
the trace format and the exact replay rules (which the Java replay mirrors).

Usage (from the repository root)::

    python3 tools/golden/make_golden.py \
        [--seed-path ../shared/seed/metering.py] \
        [--out replay/src/test/resources/golden]

Relative paths are resolved against the repository root.  Standard library
only; output is fully deterministic (fixed ``random.Random`` seeds).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SEED_PATH = '../shared/seed/metering.py'
DEFAULT_OUT = 'replay/src/test/resources/golden'

EPOCH_MS = 1_790_000_000_000   # base of all traces (2026-09-21T14:13:20Z)
TAIL_MS = 65_000               # ticks continue until >= last event + 65 s
BEGIN_EXPIRY_MS = 600_000      # deviation 2: delta-less begins expire after 600 s
STATS_KEYS = ('tps', 'tps_available', 'estimated', 'high', 'low', 'active')
MAX_TPS = 10_000.0


def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(',', ':'))


# ── Trace construction ────────────────────────────────────────────────────────

@dataclass
class Delta:
    ts: int
    kind: str          # 'output' | 'reasoning'
    running: int


@dataclass
class StreamInfo:
    sid: str
    begin_ts: int
    deltas: list[Delta] = field(default_factory=list)
    end_ts: int | None = None

    @property
    def last_ts(self) -> int:
        return self.deltas[-1].ts if self.deltas else self.begin_ts


class TraceBuilder:
    """Collects events and emits them sorted by (ts, insertion order)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._events: list[tuple[int, int, dict]] = []

    def _add(self, event: dict) -> None:
        assert isinstance(event['ts'], int)
        self._events.append((event['ts'], len(self._events), event))

    # Key order of every event type is fixed here (it is part of the format).
    def begin(self, sid: str, ts: int) -> None:
        self._add({'type': 'begin', 'stream_id': sid, 'ts': ts})

    def delta(self, kind: str, sid: str, ts: int, running: int) -> None:
        assert kind in ('output', 'reasoning')
        self._add({'type': kind, 'stream_id': sid, 'ts': ts, 'running': running})

    def end(self, sid: str, ts: int, final_output_tokens: int, input_tokens: int) -> None:
        self._add({'type': 'end', 'stream_id': sid, 'ts': ts,
                   'final_output_tokens': final_output_tokens,
                   'input_tokens': input_tokens})

    def events(self) -> list[dict]:
        return [e for _, _, e in sorted(self._events, key=lambda x: (x[0], x[1]))]

    # ── realistic LLM stream ──────────────────────────────────────────────

    def _gap(self, rate: float) -> int:
        """Inter-delta gap in ms for a mean rate (deltas/s) with jitter."""
        gap = 1000.0 / rate * self.rng.uniform(0.4, 1.6)
        if self.rng.random() < 0.01:               # occasional network hiccup
            gap += self.rng.randint(150, 1200)
        return max(1, round(gap))

    def stream(self, sid: str, t0: int, *, rate: float, output_s: float,
               reasoning_s: float = 0.0, ending: str = 'end',
               ttft_ms: int | None = None, pause_after: int | None = None,
               pause_ms: int = 0, stop_at: int | None = None) -> StreamInfo:
        """One streamed completion.

        begin at t0, time-to-first-token 200-2000 ms, optional reasoning phase,
        then output deltas at ~`rate`/s for ~`output_s` seconds.  `ending` is
        'end' (normal end event) or 'abandon' (no end: goes stale).
        `pause_after`: pause `pause_ms` after that many output deltas.
        `stop_at`: drop every delta at or after this ts (stream superseded).
        """
        rng = self.rng
        info = StreamInfo(sid, t0)
        self.begin(sid, t0)
        t = t0 + (ttft_ms if ttft_ms is not None else rng.randint(200, 2000))

        def emit(kind: str, running: int) -> bool:
            if stop_at is not None and t >= stop_at:
                return False
            self.delta(kind, sid, t, running)
            info.deltas.append(Delta(t, kind, running))
            return True

        n_reason = round(reasoning_s * rate * rng.uniform(0.8, 1.2))
        for i in range(1, n_reason + 1):
            if not emit('reasoning', i):
                return info
            t += self._gap(rate)
        if n_reason:
            t += rng.randint(50, 400)               # reasoning -> answer switch

        n_out = max(2, round(output_s * rate * rng.uniform(0.8, 1.2)))
        for i in range(1, n_out + 1):
            if not emit('output', i):
                return info
            t += self._gap(rate)
            if pause_after is not None and i == pause_after:
                t += pause_ms

        if ending == 'end':
            info.end_ts = info.last_ts + rng.randint(20, 400)
            self.end(sid, info.end_ts, n_out + rng.randint(0, n_out // 3),
                     rng.randint(100, 8000))
        else:
            assert ending == 'abandon', ending
        return info

    # ── protocol noise ────────────────────────────────────────────────────

    def _pick_gap(self, info: StreamInfo, min_index: int) -> tuple[Delta, int]:
        k = self.rng.randrange(min_index, len(info.deltas) - 1)
        cur, nxt = info.deltas[k], info.deltas[k + 1]
        ts = self.rng.randint(cur.ts, max(cur.ts, nxt.ts - 1))
        return cur, ts

    def duplicates(self, info: StreamInfo, count: int) -> None:
        """Re-sent deltas: same running, same or later ts (before the next one)."""
        for _ in range(count):
            cur, ts = self._pick_gap(info, 0)
            self.delta(cur.kind, info.sid, ts, cur.running)

    def out_of_order(self, info: StreamInfo, count: int) -> None:
        """Late deltas carrying a lower running count than already seen.

        Each is placed in a gap that contains a tick (whole second), at or
        before that tick, so applying it instead of skipping it would change
        the stats line of that tick.
        """
        ds = info.deltas
        gaps = [k for k in range(5, len(ds) - 1)
                if ds[k].running >= 2 and -(-ds[k].ts // 1000) * 1000 < ds[k + 1].ts]
        for k in sorted(self.rng.sample(gaps, count)):
            tick = -(-ds[k].ts // 1000) * 1000
            lower = max(1, ds[k].running - self.rng.randint(3, 30))
            self.delta(ds[k].kind, info.sid, self.rng.randint(ds[k].ts, tick), lower)


# ── Traces ────────────────────────────────────────────────────────────────────

def trace_three_streams() -> list[dict]:
    b = TraceBuilder(random.Random(1001))
    t0 = EPOCH_MS + 417
    # s1: reasoning + output, ends normally.
    b.stream('s1', t0, rate=40, reasoning_s=8, output_s=35, ending='end')
    # s2: output only, abandoned mid-stream (frozen tps until stale at +60 s).
    b.stream('s2', t0 + 3_112, rate=22, output_s=95, ending='abandon')
    # s3: reasoning + output with a 3.2 s tool-call pause, ends after s2 stopped.
    b.stream('s3', t0 + 11_873, rate=65, reasoning_s=15, output_s=80, ending='end',
             pause_after=1200, pause_ms=3_200)
    return b.events()


def trace_busy_mix() -> list[dict]:
    rng = random.Random(2002)
    b = TraceBuilder(rng)
    t0 = EPOCH_MS + 3_600_000 + 731
    W0 = (t0 // 1000) * 1000

    def at(seconds: float) -> int:
        return t0 + round(seconds * 1000)

    streams: dict[str, StreamInfo] = {}
    special = {5, 10, 17, 20, 21, 26, 33}
    for i in range(40):
        sid = f'b{i:02d}'
        if i in special:
            continue
        start = at(i * 7 + rng.uniform(0, 5))
        ending = 'abandon' if i % 5 == 3 else 'end'
        streams[sid] = b.stream(
            sid, start, rate=rng.uniform(5, 80), output_s=rng.uniform(5, 20),
            reasoning_s=rng.choice([0, 0, 0, 2, 5, 12]), ending=ending)

    # b05 ends, and the same id is begun again for a new turn later.
    first = b.stream('b05', at(36.2), rate=30, output_s=20, ending='end')
    b.stream('b05', first.end_ts + 14_321, rate=45, output_s=18, reasoning_s=3)

    # b10 is re-begun while still live: the begin replaces the session; the old
    # turn's deltas stop and the new turn counts from 1 again.
    rebegin = at(95.0)
    b.stream('b10', at(71.3), rate=35, output_s=60, ending='abandon', stop_at=rebegin)
    b.stream('b10', rebegin, rate=50, output_s=25, ending='end')

    # b17 begins and never gets a delta: expires ~600 s later (deviation 2),
    # while the late streams below are active.
    b.begin('b17', at(17.4))
    # b26 begins on a whole second, i.e. exactly on a tick: not expired at
    # T - begin == 600000 (strictly greater is required), expired one tick later.
    b.begin('b26', W0 + 40_000)
    # b33 begins, never gets a delta, and ends normally (removed by the end).
    b.begin('b33', at(150.0))
    b.end('b33', at(190.5), 0, 1200)
    # q01: queued for a long time (150 s) before its first token; not expired.
    b.stream('q01', at(100.0), rate=25, output_s=20, ttft_ms=150_000)

    # b20: pauses just over 60 s and resumes before the tick that would have
    # pruned it (stale sessions are only pruned by get_stats at a tick), so
    # it is revived.
    info = b.stream('b20', at(140.4), rate=20, output_s=30, ending='abandon')
    last = info.deltas[-1]
    tick_after = ((last.ts + 60_000) // 1000 + 1) * 1000   # first tick that sees it stale
    revive_ts = last.ts + 60_000 + max(1, (tick_after - last.ts - 60_000) // 2)
    assert last.ts + 60_000 < revive_ts <= tick_after
    for j in range(1, 31):
        b.delta('output', 'b20', revive_ts + (j - 1) * 40, last.running + j)
    b.end('b20', revive_ts + 30 * 40 + 100, last.running + 30, 900)

    # b21: pauses 62 s -> pruned as stale; its remaining deltas and the end are
    # ignored by the seed (session gone).
    info = b.stream('b21', at(147.9), rate=30, output_s=12, ending='abandon')
    last = info.deltas[-1]
    for j in range(1, 21):
        b.delta('output', 'b21', last.ts + 62_000 + j * 33, last.running + j)
    b.end('b21', last.ts + 62_000 + 21 * 33 + 50, last.running + 20, 700)

    # Deltas for never-begun stream ids, and an end for one.
    g = at(60.05)
    for j in range(1, 26):
        b.delta('output', 'ghost-1', g + j * 27, j)
    b.delta('reasoning', 'ghost-1', g + 26 * 27, 3)
    b.end('ghost-2', at(120.0), 10, 10)

    # Duplicates and out-of-order deltas on a few live streams.
    for sid in ('b01', 'b08', 'b14', 'b29'):
        b.duplicates(streams[sid], 3)
    for sid in ('b02', 'b11', 'b24', 'b36'):
        b.out_of_order(streams[sid], 3)

    # Late streams keep the meter active across the delta-less begin expiries.
    b.stream('late-1', at(575.0), rate=18, output_s=80, reasoning_s=4, ending='end')
    b.stream('late-2', at(598.2), rate=60, output_s=40, ending='abandon')
    return b.events()


def _burst(b: TraceBuilder, prefix: str, start: int, n: int, spacing_s: float,
           rates: tuple[float, float]) -> None:
    for i in range(n):
        t = start + round(i * spacing_s * 1000 + b.rng.uniform(0, 3000))
        b.stream(f'{prefix}{i}', t, rate=b.rng.uniform(*rates),
                 output_s=b.rng.uniform(10, 30),
                 reasoning_s=b.rng.choice([0, 0, 3]),
                 ending=b.rng.choice(['end', 'end', 'abandon']))


def trace_hour_window() -> list[dict]:
    """Two bursts; the second starts 65+ min after the first one's last event."""
    b = TraceBuilder(random.Random(3003))
    t0 = EPOCH_MS + 7_200_000 + 259
    _burst(b, 'h1-', t0, 8, 25, (45, 80))            # fast: high/low ~45-80+
    first_end = max(e['ts'] for e in b.events())
    _burst(b, 'h2-', first_end + 66 * 60_000 + 377, 6, 30, (6, 20))   # slow
    return b.events()


def trace_hour_partial() -> list[dict]:
    """Second burst overlaps the hour window of the first one's tail, so the
    first burst's readings expire one tick at a time during the second burst
    (including the exact `ts > now - 3600` boundary)."""
    b = TraceBuilder(random.Random(4004))
    t0 = EPOCH_MS + 14_400_000 + 811
    _burst(b, 'p1-', t0, 5, 20, (50, 80))
    b.stream('p1-tail', t0 + 90_000, rate=75, output_s=40, ending='abandon')
    first_end = max(e['ts'] for e in b.events())
    # The tail's frozen reading is recorded until it goes stale (~60 s after
    # its last delta); start burst 2 so it spans the hour after that.
    _burst(b, 'p2-', first_end + 60_000 + 3_600_000 - 150_000, 4, 40, (6, 20))
    return b.events()


def trace_rounding() -> list[dict]:
    """Hand-crafted, whole-second timestamps so every tps value is exact or the
    nearest double of a decimal, exercising round(x, 1) (half-to-even on the
    exact binary value)."""
    b = TraceBuilder(random.Random(5005))
    S = EPOCH_MS + 21_600_000

    def s(sec: int) -> int:
        return S + sec * 1000

    # r0 alone, slower than 1 delta/s: tps 2/8 = 0.25 -> 0.2, then 9/12 = 0.75
    # -> 0.8 (readings < 1.0 are excluded from high/low -> null).
    b.begin('r0', s(0))
    b.delta('output', 'r0', s(1), 1)          # one delta: tps unavailable
    b.delta('output', 'r0', s(9), 2)          # 2/8 = 0.25 -> 0.2
    b.delta('output', 'r0', s(13), 9)         # 9/12 = 0.75 -> 0.8
    b.end('r0', s(14), 9, 50)
    # r1: 41 over 4 s = 10.25 -> 10.2; 86 over 8 s = 10.75 -> 10.8;
    # 247 over 20 s = 12.35 (really 12.3499..) -> 12.3; 498 / 40 = 12.45
    # (really 12.4499..) -> 12.4.
    b.begin('r1', s(14))                      # same ts as r0's end
    b.delta('output', 'r1', s(15), 1)
    b.delta('output', 'r1', s(19), 41)
    b.delta('output', 'r1', s(23), 86)
    # r2 overlaps r1: 15/4 = 3.75; global (10.75 + 3.75) / 2 = 7.25 -> 7.2
    b.begin('r2', s(24))
    b.delta('output', 'r2', s(25), 1)
    b.delta('output', 'r2', s(29), 15)
    b.end('r2', s(30), 15, 300)
    b.delta('output', 'r1', s(35), 247)
    b.delta('output', 'r1', s(55), 498)
    b.end('r1', s(57), 498, 1000)
    # r3: 15/10 = 1.5, then reasoning + output 23 over 20 s = 1.15
    # (really 1.1499..) -> 1.1, the new low.
    b.begin('r3', s(60))
    b.delta('reasoning', 'r3', s(61), 1)
    b.delta('reasoning', 'r3', s(71), 15)
    b.delta('output', 'r3', s(81), 8)         # 15 + 8 = 23 over 20 s
    b.end('r3', s(84), 8, 10)
    return b.events()


def trace_boundaries() -> list[dict]:
    """Hand-crafted, whole-second timestamps hitting exact comparison edges."""
    b = TraceBuilder(random.Random(6006))
    S = EPOCH_MS + 28_800_000

    def s(sec: int) -> int:
        return S + sec * 1000

    # x1 abandoned at 3 s: at tick 63 now - last == 60.0 exactly, which is not
    # stale (> 60 required) -> still active; stale and pruned at tick 64.
    b.begin('x1', s(0))
    b.delta('output', 'x1', s(1), 1)
    b.delta('output', 'x1', s(3), 31)          # 31 / 2 = 15.5
    # x2: its next delta arrives exactly 60 s after the previous one, on a
    # tick: events at ts == tick are applied before the tick, and the session
    # is not stale yet, so it continues (tps 6 / 61).
    b.begin('x2', s(70))
    b.delta('reasoning', 'x2', s(71), 1)
    b.delta('reasoning', 'x2', s(72), 5)       # 5 / 1 = 5.0
    b.delta('output', 'x2', s(132), 1)         # (5 + 1) / 61
    return b.events()


TRACES = {
    'three_streams': trace_three_streams,
    'busy_mix': trace_busy_mix,
    'hour_window': trace_hour_window,
    'hour_partial': trace_hour_partial,
    'rounding': trace_rounding,
    'boundaries': trace_boundaries,
}


# ── Seed replay ───────────────────────────────────────────────────────────────

class FakeTime:
    """Stands in for the `time` module inside the seed: monotonic() = ms / 1000.0."""

    def __init__(self) -> None:
        self.ms = 0

    def monotonic(self) -> float:
        return self.ms / 1000.0


def load_seed(path: Path) -> tuple[ModuleType, FakeTime]:
    spec = importlib.util.spec_from_file_location('seed_metering', path)
    if spec is None or spec.loader is None:
        raise SystemExit(f'cannot load seed module from {path}')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module      # dataclasses needs the module registered
    spec.loader.exec_module(module)
    clock = FakeTime()
    module.time = clock                  # every time.monotonic() in the seed now reads the fake clock
    return module, clock


@dataclass
class ReplayResult:
    lines: list[str]
    ticks: int
    counters: dict[str, int]


def run_seed(seed: ModuleType, clock: FakeTime, events: list[dict]) -> ReplayResult:
    """Replay a trace through a fresh seed GlobalMeter (rules in README.md)."""
    clock.ms = events[0]['ts']
    meter = seed.GlobalMeter()
    begin_ts: dict[str, int] = {}
    counters = dict(skipped_lower_running=0, skipped_earlier_ts=0,
                    unknown_stream=0, begins_expired=0)

    def apply(ev: dict) -> None:
        clock.ms = ev['ts']
        sid, kind = ev['stream_id'], ev['type']
        if kind == 'begin':
            meter.begin_session(sid)
            begin_ts[sid] = ev['ts']
        elif kind in ('output', 'reasoning'):
            s = meter._sessions.get(sid)
            if s is None:
                counters['unknown_stream'] += 1          # the seed ignores it
            else:                                        # deviation 1
                current = s.output_tokens if kind == 'output' else s.reasoning_tokens
                if ev['running'] < current:
                    counters['skipped_lower_running'] += 1
                    return
                if s.first_token_ts > 0 and ev['ts'] / 1000.0 < s.last_token_ts:
                    counters['skipped_earlier_ts'] += 1
                    return
            if kind == 'output':
                meter.record_token(sid, ev['running'])
            else:
                meter.record_reasoning(sid, ev['running'])
        elif kind == 'end':
            meter.end_session(sid, ev['final_output_tokens'], ev['input_tokens'])
        else:
            raise ValueError(f'unknown event type {kind!r}')

    def expire_begins(tick: int) -> None:                # deviation 2
        for sid in [sid for sid, s in meter._sessions.items()
                    if s.first_token_ts == 0.0 and tick - begin_ts[sid] > BEGIN_EXPIRY_MS]:
            del meter._sessions[sid]
            counters['begins_expired'] += 1

    last_tick = events[-1]['ts'] + TAIL_MS
    tick = (events[0]['ts'] // 1000) * 1000 + 1000
    idx, ticks, prev_active = 0, 0, False
    lines: list[str] = []
    while True:
        while idx < len(events) and events[idx]['ts'] <= tick:
            apply(events[idx])
            idx += 1
        clock.ms = tick
        ticks += 1
        expire_begins(tick)
        active = meter.get_interval() == 1.0
        if active or prev_active:
            stats = meter.get_stats()
            assert tuple(stats) == STATS_KEYS, stats
            lines.append(dumps({**{k: stats[k] for k in STATS_KEYS}, 'ts': tick}))
        prev_active = active
        if tick >= last_tick:
            break
        tick += 1000
    assert idx == len(events)
    return ReplayResult(lines, ticks, counters)


# ── Checks and output ─────────────────────────────────────────────────────────

def check_trace(name: str, events: list[dict]) -> None:
    orders = {
        'begin': ['type', 'stream_id', 'ts'],
        'output': ['type', 'stream_id', 'ts', 'running'],
        'reasoning': ['type', 'stream_id', 'ts', 'running'],
        'end': ['type', 'stream_id', 'ts', 'final_output_tokens', 'input_tokens'],
    }
    prev = None
    for ev in events:
        assert list(ev) == orders[ev['type']], (name, ev)
        assert type(ev['ts']) is int, (name, ev)
        assert prev is None or ev['ts'] >= prev, (name, ev)
        prev = ev['ts']


def check_expected(name: str, lines: list[str]) -> None:
    assert lines, f'{name}: expected output is empty'
    for line in lines:
        obj = json.loads(line)
        for key in ('tps', 'high', 'low'):
            assert obj[key] is None or obj[key] < MAX_TPS, (name, line)


def write_jsonl(path: Path, lines: list[str]) -> None:
    path.write_text(''.join(line + '\n' for line in lines), encoding='utf-8', newline='\n')


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--seed-path', default=DEFAULT_SEED_PATH,
                    help='seed metering.py (relative paths: from the repo root)')
    ap.add_argument('--out', default=DEFAULT_OUT,
                    help='output directory (relative paths: from the repo root)')
    args = ap.parse_args(argv)
    seed_path = (REPO_ROOT / args.seed_path).resolve()
    out_dir = (REPO_ROOT / args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)

    seed, clock = load_seed(seed_path)
    print(f'seed: {seed_path}\nout:  {out_dir}')
    for name, make in TRACES.items():
        events = make()
        check_trace(name, events)
        result = run_seed(seed, clock, events)
        check_expected(name, result.lines)
        write_jsonl(out_dir / f'{name}.jsonl', [dumps(e) for e in events])
        write_jsonl(out_dir / f'{name}.expected.jsonl', result.lines)
        extra = ' '.join(f'{k}={v}' for k, v in result.counters.items())
        print(f'{name:14s} events={len(events):6d} ticks={result.ticks:5d} '
              f'emitted={len(result.lines):5d}  {extra}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

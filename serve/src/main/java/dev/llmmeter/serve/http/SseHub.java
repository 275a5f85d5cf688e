package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.serve.MeteringView;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Fans each delivered tick out to every SSE client, and keeps the last ticks for clients that reconnect
 * with {@code Last-Event-ID}. Publishing never waits for a client (see {@link SseConnection}). A resume
 * streams every missed tick the ring still holds, however many: the per-client buffer bounds only how far
 * a client may fall behind the live ticks.
 */
public final class SseHub implements AutoCloseable {
    /** Settings; {@link #defaults()} are what {@code serve} runs with. */
    public record Settings(int ringSize, int clientBuffer, Duration heartbeat) {
        public static Settings defaults() {
            // Ring: ten minutes of ticks to resume from. Buffer: a client may fall a minute behind the live ticks
            // (ticks and heartbeats queued beyond what the socket already holds) before it is dropped.
            return new Settings(600, 64, Duration.ofSeconds(15));
        }
    }

    private record Tick(Stats stats, byte[] plain) {
    }

    private final MeteringView view;
    private final Settings settings;
    private final ArrayDeque<Tick> ring = new ArrayDeque<>();
    /** The tick most recently pushed out of the ring: a client that saw it missed exactly the ring. */
    private Long forgotten;
    private final Set<SseConnection> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final ScheduledExecutorService heartbeats;

    public SseHub(MeteringView view, Settings settings) {
        this.view = view;
        this.settings = settings;
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sse-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = settings.heartbeat().toMillis();
        heartbeats.scheduleAtFixedRate(() -> broadcast(SseEvents.HEARTBEAT), every, every, TimeUnit.MILLISECONDS);
        view.onTick(this::publish);
    }

    /** Sends the tick to every client and remembers it for resumption. */
    public synchronized void publish(Stats s) {
        Tick tick = new Tick(s, SseEvents.metering(s, false, null));
        ring.addLast(tick);
        if (ring.size() > settings.ringSize()) {
            forgotten = ring.removeFirst().stats().ts();
        }
        Map<List<String>, byte[]> perStream = new HashMap<>();
        for (SseConnection c : clients) {
            String id = c.streamId();
            c.offer(id == null ? tick.plain()
                    : perStream.computeIfAbsent(Arrays.asList(c.scope().tenant(), id), k -> message(tick, k.get(1), c.scope())));
        }
    }

    /**
     * Registers a client and sets what it should see first: the ticks after {@code lastEventId} when that
     * tick is still remembered (or is the one just forgotten: then the whole ring), else the latest tick (a
     * fresh view of now). The client's connection writes them as it reads; live ticks follow.
     */
    synchronized void subscribe(SseConnection c, Long lastEventId) {
        connections.incrementAndGet();
        c.onClose(() -> {
            if (clients.remove(c) && c.dropped()) {
                dropped.incrementAndGet();
            }
        });
        clients.add(c);
        String id = c.streamId();
        Stream<byte[]> missed = backlog(lastEventId).stream().map(t -> id == null ? t.plain() : message(t, id, c.scope()));
        c.startWith(Stream.concat(Stream.of(SseEvents.HELLO), missed).iterator());
    }

    /** A copy: the ring moves on while a client reads its backlog. */
    private List<Tick> backlog(Long lastEventId) {
        if (ring.isEmpty()) {
            return List.of();
        }
        if (lastEventId != null && lastEventId.equals(forgotten)) {
            return new ArrayList<>(ring);
        }
        if (lastEventId != null) {
            List<Tick> after = new ArrayList<>();
            Iterator<Tick> it = ring.descendingIterator();
            while (it.hasNext()) {
                Tick t = it.next();
                if (t.stats().ts() == lastEventId) {
                    Collections.reverse(after);
                    return after;
                }
                after.add(t);
            }
        }
        return List.of(ring.peekLast());
    }

    /** The tick for a {@code ?stream=} client: with that stream's latest figures, when its scope sees the stream. */
    private byte[] message(Tick t, String streamId, Scope scope) {
        return SseEvents.metering(t.stats(), true, view.stream(streamId).filter(s -> scope.sees(s.tenant())).orElse(null));
    }

    private void broadcast(byte[] message) {
        for (SseConnection c : clients) {
            c.offer(message);
        }
    }

    /** Clients connected now. */
    public int clients() {
        return clients.size();
    }

    /** Clients dropped so far for not keeping up. */
    public long dropped() {
        return dropped.get();
    }

    /** Connections accepted so far. */
    public long connections() {
        return connections.get();
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
        for (SseConnection c : List.copyOf(clients)) {
            c.close();
        }
    }
}

package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.serve.MeteringView;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
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

/**
 * Fans each delivered tick out to every SSE client, and keeps the last ticks for clients that reconnect
 * with {@code Last-Event-ID}. Publishing never waits for a client (see {@link SseConnection}).
 */
public final class SseHub implements AutoCloseable {
    /** Settings; {@link #defaults()} are what {@code serve} runs with. */
    public record Settings(int ringSize, int clientBuffer, Duration heartbeat) {
        public static Settings defaults() {
            // Ring: ten minutes of ticks to resume from. Buffer: a client may fall a minute behind (ticks and
            // heartbeats queued beyond what the socket already holds) before it is dropped.
            return new Settings(600, 64, Duration.ofSeconds(15));
        }
    }

    private record Tick(Stats stats, byte[] plain) {
    }

    private final MeteringView view;
    private final Settings settings;
    private final ArrayDeque<Tick> ring = new ArrayDeque<>();
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
            ring.removeFirst();
        }
        Map<String, byte[]> perStream = new HashMap<>();
        for (SseConnection c : clients) {
            c.offer(message(tick, c, perStream));
        }
    }

    /**
     * Registers a client and queues what it should see first: the ticks after {@code lastEventId} when that
     * tick is still remembered, else the latest tick (a fresh view of now).
     */
    synchronized void subscribe(SseConnection c, Long lastEventId) {
        connections.incrementAndGet();
        c.onClose(() -> {
            if (clients.remove(c) && c.dropped()) {
                dropped.incrementAndGet();
            }
        });
        clients.add(c);
        c.offer(SseEvents.HELLO);
        Map<String, byte[]> perStream = new HashMap<>();
        for (Tick t : backlog(lastEventId)) {
            c.offer(message(t, c, perStream));
        }
    }

    private List<Tick> backlog(Long lastEventId) {
        if (ring.isEmpty()) {
            return List.of();
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

    private byte[] message(Tick t, SseConnection c, Map<String, byte[]> perStream) {
        String id = c.streamId();
        if (id == null) {
            return t.plain();
        }
        return perStream.computeIfAbsent(id, k -> SseEvents.metering(t.stats(), true, view.stream(k).orElse(null)));
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

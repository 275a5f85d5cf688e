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
    /**
     * Settings; {@link #defaults()} are what {@code serve} runs with.
     *
     * @param maxClients         clients connected at once, in all; one more is refused (503)
     * @param maxClientsPerToken clients connected at once with one bearer token (anonymous clients: only the total)
     */
    public record Settings(int ringSize, int clientBuffer, Duration heartbeat, int maxClients, int maxClientsPerToken) {
        public static final int DEFAULT_MAX_CLIENTS = 1000;
        public static final int DEFAULT_MAX_CLIENTS_PER_TOKEN = 100;

        public Settings {
            if (maxClients < 1 || maxClientsPerToken < 1) {
                throw new IllegalArgumentException("the SSE client caps must be at least 1, got " + maxClients + " and " + maxClientsPerToken);
            }
        }

        public Settings(int ringSize, int clientBuffer, Duration heartbeat) {
            this(ringSize, clientBuffer, heartbeat, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_CLIENTS_PER_TOKEN);
        }

        public static Settings defaults() {
            // Ring: ten minutes of ticks to resume from. Buffer: a client may fall a minute behind the live ticks
            // (ticks and heartbeats queued beyond what the socket already holds) before it is dropped.
            return new Settings(600, 64, Duration.ofSeconds(15));
        }

        /** These settings with other caps on clients. */
        public Settings withMaxClients(int all, int perToken) {
            return new Settings(ringSize, clientBuffer, heartbeat, all, perToken);
        }
    }

    /** Why a client was refused: the label of {@code llm_metering_serve_sse_refused_clients_total}. */
    public enum Refusal {
        MAX_CLIENTS("max_clients"), MAX_CLIENTS_PER_TOKEN("max_clients_per_token");

        public final String label;

        Refusal(String label) {
            this.label = label;
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
    /**
     * Places held by admitted clients, in all and per token (the token's entry, never the token itself), guarded by
     * {@link #places}: a lock of their own, taken last, as a client gives its place back while it holds its own lock.
     */
    private final Object places = new Object();
    private int held;
    private final Map<Object, Integer> heldPerToken = new HashMap<>();
    private final Map<Refusal, AtomicLong> refused = new java.util.EnumMap<>(Map.of(
            Refusal.MAX_CLIENTS, new AtomicLong(), Refusal.MAX_CLIENTS_PER_TOKEN, new AtomicLong()));

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
     * Holds a place for a new client of {@code token} (null: anonymous, counted only in all), or says why not: the
     * server's or the token's cap is reached. A place held is given back when the client {@linkplain #subscribe
     * subscribed} closes, or by {@link #release}.
     *
     * @return null when admitted, else the refusal
     */
    Refusal admit(Object token) {
        synchronized (places) {
            Refusal no = held >= settings.maxClients() ? Refusal.MAX_CLIENTS
                    : token != null && heldPerToken.getOrDefault(token, 0) >= settings.maxClientsPerToken() ? Refusal.MAX_CLIENTS_PER_TOKEN
                    : null;
            if (no != null) {
                refused.get(no).incrementAndGet();
                return no;
            }
            held++;
            if (token != null) {
                heldPerToken.merge(token, 1, Integer::sum);
            }
            return null;
        }
    }

    /** Gives back the place {@link #admit} held for a client of {@code token}. */
    void release(Object token) {
        synchronized (places) {
            held--;
            if (token != null) {
                heldPerToken.computeIfPresent(token, (k, n) -> n == 1 ? null : n - 1);
            }
        }
    }

    /**
     * Registers a client and sets what it should see first: the ticks after {@code lastEventId} when that
     * tick is still remembered (or is the one just forgotten: then the whole ring), else the latest tick (a
     * fresh view of now). The client's connection writes them as it reads; live ticks follow.
     */
    synchronized void subscribe(SseConnection c, Long lastEventId) {
        connections.incrementAndGet();
        clients.add(c);
        c.onClose(() -> { // at once if the client has already gone: its place is given back either way
            if (clients.remove(c)) {
                release(c.token());
                if (c.dropped()) {
                    dropped.incrementAndGet();
                }
            }
        });
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

    /** The ticks the ring holds now, oldest first: what a resuming client could be sent (a copy). */
    public synchronized List<Stats> recent() {
        return ring.stream().map(Tick::stats).toList();
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

    /** Clients refused so far because the cap {@code why} names was reached. */
    public long refused(Refusal why) {
        return refused.get(why).get();
    }

    public Settings settings() {
        return settings;
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

package dev.llmmeter.topology.state;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code sessions} store: a write-behind layer over a durable key-value store (RocksDB with a changelog
 * in the live app, in memory for the replay).
 *
 * <p>Its values are {@link Entry}s: a {@link Session} with the numbers its task gave it, and the store's own mark
 * of the key the entry is pending under; the session processor makes one per session (of its own subclass) and
 * keeps it.
 *
 * <p>{@link #put} does not serialize or write anything: it remembers the latest value of the key (one entry
 * per key, last write wins; a {@link #delete} is remembered as a tombstone), and the caller may keep
 * updating that entry's session in place (the session processor holds every live session in memory anyway).
 * Just before every commit, Kafka Streams asks the store to flush ({@link #flushCache()}, the hook its own
 * record cache uses), and each key changed since the last commit is written once, with its value's state at
 * that moment, in one batch: so the committed offsets never run ahead of the changelog, under at-least-once
 * and exactly-once alike, and a stream's 30 deltas in a second cost one store write and one changelog record
 * instead of 30 (Kafka's record cache would coalesce the changelog records too, but serializes and indexes
 * every put).
 *
 * <p>Reads see every write: {@link #get} (and {@link #delete}, {@link #putIfAbsent}) look at the pending
 * writes first, then the durable store; the iterators ({@link #all}, {@link #range}, ...) and
 * {@link #approximateNumEntries} write the pending changes first and then read the durable store.
 * {@link #query} (IQv2) is the exception: it reads the durable store only, i.e. the state as of the last
 * flush, and never touches the pending writes (a query runs on the caller's thread). Like the session
 * processor it serves, the layer belongs to the stream thread: it is not synchronized for interactive
 * queries from other threads (the app serves none). Values are taken by reference: an entry put here (its
 * session) must not be changed afterwards unless it is put again (or stays the same object under the same key, as
 * the session processor's are), and {@link #get} may return that same object.
 *
 * <p>Kafka's record cache cannot be put in front of this layer: the builder's {@code withCachingEnabled()}
 * throws. Logging (the changelog) is the inner store's, configured through the builder as usual.
 *
 * <p>{@link CachedStateStore} is an internal Kafka Streams interface: {@code ProcessorStateManager.flushCache()}
 * calls it for every registered store before a commit ({@code StreamTask.prepareCommit}). That was verified
 * against Kafka {@value #VERIFIED_KAFKA_VERSION}; a Kafka upgrade must keep it true. {@code SessionsStoreTest}
 * checks that each commit leaves the changelog up to date and fails the build when the Kafka on the class path
 * is not {@link #VERIFIED_KAFKA_VERSION}, until someone re-verifies the hook and updates the constant;
 * {@code SessionsCrashConsistencyIT} kills the app between deltas and the next commit on a real broker.
 */
public final class SessionsStore implements KeyValueStore<String, SessionsStore.Entry>, CachedStateStore<String, SessionsStore.Entry> {
    /**
     * The Kafka (Streams) version whose commit path was read and tested to call {@link #flushCache()} on every
     * registered store before the task's offsets are committed ({@code StreamTask.prepareCommit} ->
     * {@code ProcessorStateManager.flushCache}). {@code SessionsStoreTest} compares it with the Kafka on the
     * class path; on an upgrade, re-verify that path (and run {@code SessionsStoreTest} and
     * {@code SessionsCrashConsistencyIT}) before changing it.
     */
    public static final String VERIFIED_KAFKA_VERSION = "4.4.0";

    private static final Logger LOG = LoggerFactory.getLogger(SessionsStore.class);

    /**
     * Without a changelog there is nothing a commit must find written (the replay's in-memory store is thrown
     * away at the end, and the test driver commits after every record): changes are then written in batches
     * of this many, or when iterated.
     */
    static final int EPHEMERAL_BATCH = 1 << 16;

    /** A pending delete. Never leaves this class (written as null); compared by identity only. */
    private static final Entry TOMBSTONE = new Entry(new Session(0, 0, 0, Session.NO_DELTA, Session.NO_DELTA));

    private final KeyValueStore<String, Entry> durable;
    /** Asked for at every commit (for a log line): the durable store answers through several wrappers. */
    private final String name;
    private final boolean writeAtCommit;
    /**
     * Writes since the last flush: key -> its latest value (its state at flush time), or {@link #TOMBSTONE}
     * for a delete. One entry per key, in the order the keys were first changed since the last flush.
     */
    private final LinkedHashMap<String, Entry> pending = new LinkedHashMap<>();

    /**
     * @param writeAtCommit whether every commit must find the changes written (a changelog or a persistent
     *                      store); otherwise they are written in batches
     */
    SessionsStore(KeyValueStore<String, Entry> durable, boolean writeAtCommit) {
        this.durable = durable;
        this.name = durable.name();
        this.writeAtCommit = writeAtCommit;
    }

    /**
     * The sessions store over a RocksDB store (uncached: this layer is the cache) with a changelog, or
     * over an in-memory store without one.
     */
    public static StoreBuilder<SessionsStore> builder(String name, boolean persistent) {
        StoreBuilder<KeyValueStore<String, Entry>> inner = Stores.keyValueStoreBuilder(
                        persistent ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name),
                        Serdes.String(), new SessionSerde())
                .withCachingDisabled();
        return new Builder(persistent ? inner : inner.withLoggingDisabled());
    }

    // ---- writes: remembered, written at the next flush

    /**
     * Remembers {@code entry} as the value of {@code id}, to be written at the next flush; null deletes.
     * O(1), no serialization: one map entry per key, the last write wins. The session processor puts its session's
     * entry after every delta, and most of those puts find that very entry already pending under that key since the
     * last flush: those cost no hash lookup (the entry carries the key it is pending under).
     */
    @Override
    public void put(String id, Entry entry) {
        requireKey(id);
        if (entry == null) {
            unstamp(id, pending.put(id, TOMBSTONE));
            return;
        }
        if (id.equals(entry.pendingKey)) {
            return; // already the pending value of id: the flush writes its state at that moment
        }
        unstamp(id, pending.put(id, entry));
        entry.pendingKey = id;
    }

    /**
     * {@code previous} was the pending value of {@code id} and is not any more: its stamp must not claim it is.
     * Invariant: an entry whose {@link Entry#pendingKey} is k is {@code pending.get(k)}.
     */
    private static void unstamp(String id, Entry previous) {
        if (previous != null && previous != TOMBSTONE && id.equals(previous.pendingKey)) {
            previous.pendingKey = null;
        }
    }

    /** Empties the pending writes, and the stamps of their entries. */
    private void clearPending() {
        for (Entry e : pending.values()) {
            e.pendingKey = null; // the tombstone's too: it is never stamped, so this is a no-op for it
        }
        pending.clear();
    }

    /**
     * Remembers the delete of {@code id}, to be written at the next flush.
     *
     * @return the value {@code id} had: its pending value if it was written since the last flush, else the durable
     *         store's (null when there was none)
     */
    @Override
    public Entry delete(String id) {
        Entry previous = pending.put(requireKey(id), TOMBSTONE);
        unstamp(id, previous);
        if (previous == null) {
            return durable.get(id);
        }
        return previous == TOMBSTONE ? null : previous;
    }

    /** Puts {@code entry} unless {@code id} has a value (pending or durable); returns that value, else null. */
    @Override
    public Entry putIfAbsent(String id, Entry entry) {
        Entry current = get(id);
        if (current == null) {
            put(id, entry);
        }
        return current;
    }

    @Override
    public void putAll(List<KeyValue<String, Entry>> entries) {
        for (KeyValue<String, Entry> e : entries) {
            put(e.key, e.value);
        }
    }

    private static String requireKey(String id) {
        return Objects.requireNonNull(id, "key cannot be null");
    }

    /**
     * Before a commit: writes every pending change to the durable store (and its changelog), in one batch.
     * (Without a changelog, only once a batch has built up: see {@link #EPHEMERAL_BATCH}.)
     */
    @Override
    public void flushCache() {
        if (writeAtCommit || pending.size() >= EPHEMERAL_BATCH) {
            writePending();
        }
    }

    private void writePending() {
        if (pending.isEmpty()) {
            return;
        }
        List<KeyValue<String, Entry>> batch = new ArrayList<>(pending.size());
        for (Map.Entry<String, Entry> e : pending.entrySet()) {
            Entry entry = e.getValue();
            entry.pendingKey = null;
            batch.add(KeyValue.pair(e.getKey(), entry == TOMBSTONE ? null : entry));
        }
        pending.clear();
        durable.putAll(batch);
    }

    /** Drops the pending changes unwritten (Kafka Streams calls it when it recycles a committed task). */
    @Override
    public void clearCache() {
        clearPending();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<String, Entry> listener, boolean sendOldValues) {
        return false; // no downstream forwarding on flush: this is not a KTable's cache
    }

    /** Keys changed since the last flush (not yet written to the durable store). */
    public int pending() {
        return pending.size();
    }

    // ---- reads: see every write

    /** The pending value of {@code id} if it was written since the last flush (null for a delete), else the durable store's. */
    @Override
    public Entry get(String id) {
        Entry e = pending.get(requireKey(id));
        if (e == null) {
            return durable.get(id);
        }
        return e == TOMBSTONE ? null : e;
    }

    // ---- iterators: write the pending changes first, then read the durable store

    @Override
    public KeyValueIterator<String, Entry> range(String from, String to) {
        writePending();
        return durable.range(from, to);
    }

    @Override
    public KeyValueIterator<String, Entry> reverseRange(String from, String to) {
        writePending();
        return durable.reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<String, Entry> all() {
        writePending();
        return durable.all();
    }

    @Override
    public KeyValueIterator<String, Entry> reverseAll() {
        writePending();
        return durable.reverseAll();
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<String, Entry> prefixScan(P prefix, PS prefixKeySerializer) {
        writePending();
        return durable.prefixScan(prefix, prefixKeySerializer);
    }

    @Override
    public long approximateNumEntries() {
        writePending();
        return durable.approximateNumEntries();
    }

    /**
     * IQv2: answered by the durable store alone, i.e. with the state as of the last flush (the last commit).
     * Unlike the other reads it does not write the pending changes: a query runs on the caller's thread, and the
     * pending writes belong to the stream thread.
     */
    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return durable.query(query, positionBound, config);
    }

    // ---- the rest is the durable store's

    @Override
    public String name() {
        return name;
    }

    /** The durable store registers this layer as the root, so that Kafka Streams flushes it before commits. */
    @Override
    public void init(StateStoreContext context, StateStore root) {
        String running = AppInfoParser.getVersion();
        if (!VERIFIED_KAFKA_VERSION.equals(running)) {
            LOG.warn("store {}: written behind on the assumption that Kafka Streams flushes it before every commit, "
                    + "verified on Kafka {}; this is Kafka {}: a crash could leave committed offsets ahead of the "
                    + "changelog until that is verified again", name, VERIFIED_KAFKA_VERSION, running);
        }
        durable.init(context, root);
    }

    /** Deprecated in Kafka 4.4 in favour of {@link #commit}; delegated all the same, for whoever still calls it. */
    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        durable.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        durable.commit(changelogOffsets);
    }

    @Override
    public Long committedOffset(TopicPartition partition) {
        return durable.committedOffset(partition);
    }

    @Override
    @SuppressWarnings("deprecation")
    public boolean managesOffsets() {
        return durable.managesOffsets();
    }

    @Override
    public long approximateNumUncommittedBytes() {
        return durable.approximateNumUncommittedBytes();
    }

    @Override
    public void close() {
        clearCache();
        durable.close();
    }

    @Override
    public boolean persistent() {
        return durable.persistent();
    }

    @Override
    public boolean isOpen() {
        return durable.isOpen();
    }

    @Override
    public Position getPosition() {
        return durable.getPosition();
    }

    /**
     * The store's value: a {@link Session} and the numbers its session task gave it, both stored ({@link SessionSerde}),
     * and, not stored, the store's mark of the key this entry is pending under. The session processor makes one per
     * session (at its begin, or when it restores it) and updates its session in place, so a delta puts the same entry
     * again at no cost. It extends the class with its own fields ({@code SessionMeter.Live}), so that a live session
     * is two objects, this wrapper and its session; what is stored is this class's fields only.
     *
     * <p>The numbers let a restore, which reads the store in key order, rebuild the task's orders: the number of the
     * session's begin among the task's begins ({@link #seq}: the oldest begin waiting for a delta is evicted first),
     * and its place in the order of the live sessions ({@link #place}: the seq of the begin that made its id live; a
     * later begin of a live id keeps that place, as the seed's dict keeps a key's place; a tick's per-stream records
     * go out in that order).
     */
    public static class Entry {
        /** {@link #seq} and {@link #place} of a session not numbered by a session task (stored before they existed). */
        public static final long UNNUMBERED = Long.MIN_VALUE;

        private final Session session;
        private final long seq;
        private final long place;
        /**
         * Not stored: the key under which this entry is the store's pending value, null when it is not pending, so
         * that a put of an entry already pending costs no hash lookup. The store keeps it true: see {@link #put}.
         */
        private String pendingKey;

        /** A session not numbered (as the versions before numbers stored it). */
        public Entry(Session session) {
            this(session, UNNUMBERED, UNNUMBERED);
        }

        /**
         * A session numbered by its task: its begin is the task's {@code seq}-th, and it is live in the place of the
         * begin numbered {@code place} ({@code place <= seq}).
         */
        public Entry(Session session, long seq, long place) {
            this.session = Objects.requireNonNull(session, "session");
            this.seq = seq;
            this.place = place;
        }

        public final Session session() {
            return session;
        }

        /** Whether its task numbered it (a session stored before sessions were numbered was not). */
        public final boolean isNumbered() {
            return seq != UNNUMBERED;
        }

        /** The number of this session's begin among its task's begins; {@link #UNNUMBERED} if not numbered. */
        public final long seq() {
            return seq;
        }

        /** Its place in the task's order of live sessions (the seq of the begin that made it live). */
        public final long place() {
            return place;
        }

        @Override
        public final String toString() {
            return isNumbered() ? "Entry[seq=" + seq + ", place=" + place + ", " + session + "]" : "Entry[" + session + "]";
        }
    }

    /** Builds the layer over the inner builder's store; logging settings are the inner store's, caching is this layer. */
    private static final class Builder implements StoreBuilder<SessionsStore> {
        private StoreBuilder<KeyValueStore<String, Entry>> inner;

        Builder(StoreBuilder<KeyValueStore<String, Entry>> inner) {
            this.inner = inner;
        }

        /**
         * Not supported: this layer is the store's cache, and Kafka's record cache is never put in front of it
         * (it would serialize every put again, and flush after this layer's writes).
         *
         * @throws UnsupportedOperationException always
         */
        @Override
        public StoreBuilder<SessionsStore> withCachingEnabled() {
            throw new UnsupportedOperationException("store " + name() + ": SessionsStore is itself a write-behind cache "
                    + "(written before every commit); Kafka's record cache cannot be enabled on it");
        }

        /** Kafka's record cache is always disabled here (this layer is the cache): a no-op. */

        @Override
        public StoreBuilder<SessionsStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<SessionsStore> withLoggingEnabled(Map<String, String> config) {
            inner = inner.withLoggingEnabled(config);
            return this;
        }

        @Override
        public StoreBuilder<SessionsStore> withLoggingDisabled() {
            inner = inner.withLoggingDisabled();
            return this;
        }

        @Override
        public SessionsStore build() {
            KeyValueStore<String, Entry> store = inner.build();
            return new SessionsStore(store, inner.loggingEnabled() || store.persistent());
        }

        @Override
        public Map<String, String> logConfig() {
            return inner.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return inner.loggingEnabled();
        }

        @Override
        public String name() {
            return inner.name();
        }
    }
}

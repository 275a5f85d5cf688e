package dev.llmmeter.topology.state;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code sessions} store: a write-behind layer over a durable key-value store (RocksDB with a changelog
 * in the live app, in memory for the replay).
 *
 * <p>{@link #put} does not serialize or write anything: it remembers the session object, which the caller
 * keeps updating in place (the session processor holds every live session in memory anyway). Just before
 * every commit, Kafka Streams asks the store to flush ({@link #flushCache()}, the hook its own record cache
 * uses), and each session changed since the last commit is written once, with its state at that moment, in
 * one batch: so the committed offsets never run ahead of the changelog, under at-least-once and exactly-once
 * alike, and a stream's 30 deltas in a second cost one store write and one changelog record instead of 30
 * (Kafka's record cache would coalesce the changelog records too, but serializes and indexes every put).
 *
 * <p>Reads ({@link #get}, {@link #all}, ...) flush first, so they see every write. Like the session
 * processor it serves, the layer belongs to the stream thread: it is not synchronized for interactive
 * queries from other threads (the app serves none). Values are taken by
 * reference: a session put here must not be changed afterwards unless it is put again (or stays the same
 * object under the same key, as the session processor's are).
 *
 * <p>{@link CachedStateStore} is an internal Kafka Streams interface: {@code ProcessorStateManager.flushCache()}
 * calls it for every registered store before a commit ({@code StreamTask.prepareCommit}). A Kafka upgrade
 * must keep that true; {@code SessionsStoreTest} checks that each commit leaves the changelog up to date.
 */
public final class SessionsStore implements KeyValueStore<String, Session>, CachedStateStore<String, Session> {
    /**
     * Without a changelog there is nothing a commit must find written (the replay's in-memory store is thrown
     * away at the end, and the test driver commits after every record): changes are then written in batches
     * of this many, or when read.
     */
    static final int EPHEMERAL_BATCH = 1 << 16;

    private final KeyValueStore<String, Session> durable;
    /** Asked for at every commit (for a log line): the durable store answers through several wrappers. */
    private final String name;
    private final boolean writeAtCommit;
    /** Writes since the last flush, in order: a session (its state at flush time), or null for a delete. */
    private final List<String> pendingKeys = new ArrayList<>();
    private final List<Session> pendingValues = new ArrayList<>();

    /**
     * @param writeAtCommit whether every commit must find the changes written (a changelog or a persistent
     *                      store); otherwise they are written in batches
     */
    SessionsStore(KeyValueStore<String, Session> durable, boolean writeAtCommit) {
        this.durable = durable;
        this.name = durable.name();
        this.writeAtCommit = writeAtCommit;
    }

    /**
     * The sessions store over a RocksDB store (uncached: this layer is the cache) with a changelog, or
     * over an in-memory store without one.
     */
    public static StoreBuilder<SessionsStore> builder(String name, boolean persistent) {
        StoreBuilder<KeyValueStore<String, Session>> inner = Stores.keyValueStoreBuilder(
                        persistent ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name),
                        Serdes.String(), new SessionSerde())
                .withCachingDisabled();
        return new Builder(persistent ? inner : inner.withLoggingDisabled());
    }

    // ---- writes: remembered, written at the next flush

    /** Remembers {@code session} as the value of {@code id}, to be written at the next flush; null deletes. */
    @Override
    public void put(String id, Session session) {
        if (session == null) {
            delete(id);
            return;
        }
        if (!session.pendingWrite) {
            session.pendingWrite = true;
            pendingKeys.add(id);
            pendingValues.add(session);
        }
    }

    /** @return null: the old value is not looked up (the processor keeps its own) */
    @Override
    public Session delete(String id) {
        pendingKeys.add(id);
        pendingValues.add(null);
        return null;
    }

    @Override
    public Session putIfAbsent(String id, Session session) {
        Session current = get(id);
        if (current == null) {
            put(id, session);
        }
        return current;
    }

    @Override
    public void putAll(List<KeyValue<String, Session>> entries) {
        for (KeyValue<String, Session> e : entries) {
            put(e.key, e.value);
        }
    }

    /**
     * Before a commit: writes every pending change to the durable store (and its changelog), in one batch.
     * (Without a changelog, only once a batch has built up: see {@link #EPHEMERAL_BATCH}.)
     */
    @Override
    public void flushCache() {
        if (writeAtCommit || pendingKeys.size() >= EPHEMERAL_BATCH) {
            writePending();
        }
    }

    private void writePending() {
        int n = pendingKeys.size();
        if (n == 0) {
            return;
        }
        List<KeyValue<String, Session>> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Session s = pendingValues.get(i);
            if (s != null) {
                s.pendingWrite = false;
            }
            batch.add(KeyValue.pair(pendingKeys.get(i), s));
        }
        pendingKeys.clear();
        pendingValues.clear();
        durable.putAll(batch);
    }

    /** Drops the pending changes unwritten (Kafka Streams calls it when it recycles a committed task). */
    @Override
    public void clearCache() {
        for (Session s : pendingValues) {
            if (s != null) {
                s.pendingWrite = false;
            }
        }
        pendingKeys.clear();
        pendingValues.clear();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<String, Session> listener, boolean sendOldValues) {
        return false; // no downstream forwarding on flush: this is not a KTable's cache
    }

    /** Changes not yet written to the durable store. */
    public int pending() {
        return pendingKeys.size();
    }

    // ---- reads: flush first, then read the durable store

    @Override
    public Session get(String id) {
        writePending();
        return durable.get(id);
    }

    @Override
    public KeyValueIterator<String, Session> range(String from, String to) {
        writePending();
        return durable.range(from, to);
    }

    @Override
    public KeyValueIterator<String, Session> reverseRange(String from, String to) {
        writePending();
        return durable.reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<String, Session> all() {
        writePending();
        return durable.all();
    }

    @Override
    public KeyValueIterator<String, Session> reverseAll() {
        writePending();
        return durable.reverseAll();
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<String, Session> prefixScan(P prefix, PS prefixKeySerializer) {
        writePending();
        return durable.prefixScan(prefix, prefixKeySerializer);
    }

    @Override
    public long approximateNumEntries() {
        writePending();
        return durable.approximateNumEntries();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        writePending();
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

    /** Builds the layer over the inner builder's store; logging settings are the inner store's, caching is this layer. */
    private static final class Builder implements StoreBuilder<SessionsStore> {
        private StoreBuilder<KeyValueStore<String, Session>> inner;

        Builder(StoreBuilder<KeyValueStore<String, Session>> inner) {
            this.inner = inner;
        }

        /** This layer is the store's cache: Kafka's record cache is never put in front. */
        @Override
        public StoreBuilder<SessionsStore> withCachingEnabled() {
            return this;
        }

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
            KeyValueStore<String, Session> store = inner.build();
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

package dev.llmmeter.topology.state;

/**
 * The live sessions of one task by stream id, in insertion order (the seed's dict order: a session replaced
 * under the same id keeps its place). An intrusive hash table: each {@link Session} is its own entry
 * (bucket chain and order links are fields of the session), so a lookup reaches the session in one step
 * fewer than through a {@code LinkedHashMap} entry, and the tick's walk touches one object per session.
 * With thousands of sessions those steps are cache misses: they were most of the per-event cost.
 *
 * <p>Not thread-safe; a session belongs to at most one table.
 */
public final class SessionTable {
    private static final int MIN_CAPACITY = 16;

    private Session[] buckets = new Session[MIN_CAPACITY];
    private int size;
    private Session head;
    private Session tail;

    public int size() {
        return size;
    }

    /** @return the session of {@code id}, or null */
    public Session get(String id) {
        int h = hash(id);
        for (Session s = buckets[h & (buckets.length - 1)]; s != null; s = s.nextInBucket) {
            if (s.hash == h && id.equals(s.streamId)) {
                return s;
            }
        }
        return null;
    }

    /**
     * Adds {@code session} under {@code id} at the end of the order, or, when {@code id} has a session,
     * puts it in that one's place.
     *
     * @return the session replaced, or null
     */
    public Session put(String id, Session session) {
        if (session.streamId != null) {
            throw new IllegalStateException("session already in a table under " + session.streamId);
        }
        int h = hash(id);
        int b = h & (buckets.length - 1);
        Session prevInBucket = null;
        for (Session s = buckets[b]; s != null; prevInBucket = s, s = s.nextInBucket) {
            if (s.hash == h && id.equals(s.streamId)) {
                link(session, id, h);
                session.nextInBucket = s.nextInBucket;
                if (prevInBucket == null) {
                    buckets[b] = session;
                } else {
                    prevInBucket.nextInBucket = session;
                }
                session.before = s.before;
                session.after = s.after;
                if (s.before == null) {
                    head = session;
                } else {
                    s.before.after = session;
                }
                if (s.after == null) {
                    tail = session;
                } else {
                    s.after.before = session;
                }
                unlink(s);
                return s;
            }
        }
        link(session, id, h);
        session.nextInBucket = buckets[b];
        buckets[b] = session;
        session.before = tail;
        if (tail == null) {
            head = session;
        } else {
            tail.after = session;
        }
        tail = session;
        if (++size > buckets.length - (buckets.length >>> 2)) {
            resize();
        }
        return null;
    }

    /** @return the session removed, or null when {@code id} had none */
    public Session remove(String id) {
        Session s = get(id);
        if (s != null) {
            remove(s);
        }
        return s;
    }

    /** Removes a session of this table (e.g. while walking it: take {@link #next} first). */
    public void remove(Session session) {
        int b = session.hash & (buckets.length - 1);
        if (buckets[b] == session) {
            buckets[b] = session.nextInBucket;
        } else {
            Session p = buckets[b];
            while (p.nextInBucket != session) {
                p = p.nextInBucket;
            }
            p.nextInBucket = session.nextInBucket;
        }
        if (session.before == null) {
            head = session.after;
        } else {
            session.before.after = session.after;
        }
        if (session.after == null) {
            tail = session.before;
        } else {
            session.after.before = session.before;
        }
        unlink(session);
        size--;
    }

    /** The oldest session, or null: with {@link #next}, the walk in insertion order. */
    public Session first() {
        return head;
    }

    public Session next(Session session) {
        return session.after;
    }

    public void clear() {
        for (Session s = head; s != null; ) {
            Session next = s.after;
            unlink(s);
            s = next;
        }
        buckets = new Session[MIN_CAPACITY];
        head = null;
        tail = null;
        size = 0;
    }

    private static void link(Session s, String id, int h) {
        s.streamId = id;
        s.hash = h;
    }

    private static void unlink(Session s) {
        s.streamId = null;
        s.nextInBucket = null;
        s.before = null;
        s.after = null;
    }

    private void resize() {
        Session[] grown = new Session[buckets.length * 2];
        for (Session s = head; s != null; s = s.after) {
            int b = s.hash & (grown.length - 1);
            s.nextInBucket = grown[b];
            grown[b] = s;
        }
        buckets = grown;
    }

    private static int hash(String id) {
        int h = id.hashCode();
        return h ^ (h >>> 16);
    }
}

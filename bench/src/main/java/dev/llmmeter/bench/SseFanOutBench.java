package dev.llmmeter.bench;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.Readiness;
import dev.llmmeter.serve.http.MeteringServer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * SSE fan-out on this machine: {@code clients} concurrent {@code /events} clients (raw non-blocking
 * sockets read by one selector thread, so the clients cost no thread each), {@code ticks} ticks published
 * {@code intervalMs} apart. Prints, per tick, the latency from publish to the last client's receipt
 * (median, p99, max), the heap per connected client and the server's thread count. A command that prints
 * figures, not a test.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.llmmeter.bench.SseFanOutBench [clients=1000] [ticks=200] [intervalMs=100]</pre>
 */
public final class SseFanOutBench {
    private SseFanOutBench() {
    }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int ticks = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        long intervalMs = args.length > 2 ? Long.parseLong(args[2]) : 100;
        Locale.setDefault(Locale.ROOT);

        MeteringView view = new MeteringView();
        try (MeteringServer server = new MeteringServer(view, Readiness.always()).host("127.0.0.1")) {
            int port = server.start(0);
            long base = System.currentTimeMillis() / 1000 * 1000 - 3_600_000L;
            view.offerStats(stats(base));
            int threadsBefore = Thread.activeCount();
            long heapBefore = usedHeapAfterGc();

            Clients c = new Clients(port, clients, ticks);
            Thread reader = new Thread(c::readLoop, "bench-clients");
            reader.setDaemon(true);
            reader.start();
            c.connectAll();
            long deadline = System.nanoTime() + 120_000_000_000L;
            while ((server.hub().clients() < clients || c.connectedWithFirstEvent() < clients) && System.nanoTime() < deadline) {
                Thread.sleep(50); // a bench: waiting for its own setup, nothing asserted on timing
            }
            long heapAfter = usedHeapAfterGc();
            int threadsAfter = Thread.activeCount();
            System.out.printf("clients connected: %d (server counts %d)%n", c.connectedWithFirstEvent(), server.hub().clients());

            long[] publishNanos = new long[ticks];
            long[] publishCallNanos = new long[ticks];
            for (int i = 0; i < ticks; i++) {
                long ts = base + (i + 1) * 1000L;
                long t0 = System.nanoTime();
                c.published.put(ts, i);
                publishNanos[i] = t0;
                view.offerStats(stats(ts));
                publishCallNanos[i] = System.nanoTime() - t0;
                Thread.sleep(intervalMs);
            }
            deadline = System.nanoTime() + 30_000_000_000L;
            while (c.complete() < ticks && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            double[] fanOutMs = new double[ticks];
            int complete = 0;
            for (int i = 0; i < ticks; i++) {
                if (c.received[i].get() == clients) {
                    fanOutMs[complete++] = (c.lastReceipt[i].get() - publishNanos[i]) / 1e6;
                }
            }
            double[] done = Arrays.copyOf(fanOutMs, complete);
            Arrays.sort(done);
            double[] call = Arrays.stream(publishCallNanos).mapToDouble(n -> n / 1e6).sorted().toArray();
            System.out.printf("ticks: %d published %d ms apart, %d reached all %d clients%n", ticks, intervalMs, complete, clients);
            System.out.printf("fan-out latency (publish to last client), ms: median %.2f  p99 %.2f  max %.2f%n",
                    pct(done, 50), pct(done, 99), done.length == 0 ? Double.NaN : done[done.length - 1]);
            System.out.printf("publish call (queue + non-blocking write to every client), ms: median %.2f  p99 %.2f%n",
                    pct(call, 50), pct(call, 99));
            System.out.printf("heap per client: %.1f KiB (used heap after GC, %d clients: %.1f MiB -> %.1f MiB; includes the"
                            + " bench's own client sockets)%n", (heapAfter - heapBefore) / 1024.0 / clients, clients,
                    heapBefore / 1048576.0, heapAfter / 1048576.0);
            System.out.printf("threads in the process: %d before the clients, %d with them%n", threadsBefore, threadsAfter);
            System.out.printf("dropped clients: %d%n", server.hub().dropped());
            c.close();
        }
    }

    private static Stats stats(long ts) {
        return new Stats(47.3, true, false, 52.1, 31.4, 12, ts);
    }

    private static double pct(double[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return mem.getHeapMemoryUsage().getUsed();
    }

    /** Many SSE clients on one selector: each read is scanned for {@code id: <ts>} lines. */
    private static final class Clients {
        private final int port;
        private final int count;
        private final Selector selector;
        private final List<SocketChannel> channels = new ArrayList<>();
        final ConcurrentHashMap<Long, Integer> published = new ConcurrentHashMap<>();
        final AtomicLong[] received;
        final AtomicLong[] lastReceipt;
        private final AtomicLong firstEvents = new AtomicLong();
        private volatile boolean closed;

        Clients(int port, int count, int ticks) throws IOException {
            this.port = port;
            this.count = count;
            this.selector = Selector.open();
            this.received = new AtomicLong[ticks];
            this.lastReceipt = new AtomicLong[ticks];
            for (int i = 0; i < ticks; i++) {
                received[i] = new AtomicLong();
                lastReceipt[i] = new AtomicLong();
            }
        }

        private static final class State {
            final StringBuilder carry = new StringBuilder();
            boolean sawFirst;
        }

        void connectAll() throws IOException, InterruptedException {
            byte[] req = "GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < count; i++) {
                SocketChannel ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.connect(new InetSocketAddress("127.0.0.1", port));
                ch.write(ByteBuffer.wrap(req));
                ch.configureBlocking(false);
                synchronized (this) {
                    channels.add(ch);
                }
                pending.add(ch);
                selector.wakeup();
                if (i % 100 == 99) {
                    Thread.sleep(20); // let the server's acceptor breathe: setup, not measurement
                }
            }
        }

        private final java.util.concurrent.ConcurrentLinkedQueue<SocketChannel> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();

        long connectedWithFirstEvent() {
            return firstEvents.get();
        }

        int complete() {
            int n = 0;
            for (AtomicLong r : received) {
                if (r.get() == count) {
                    n++;
                }
            }
            return n;
        }

        void readLoop() {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try {
                while (!closed) {
                    SocketChannel p;
                    while ((p = pending.poll()) != null) {
                        p.register(selector, SelectionKey.OP_READ, new State());
                    }
                    selector.select(100);
                    long now = System.nanoTime();
                    for (SelectionKey k : selector.selectedKeys()) {
                        SocketChannel ch = (SocketChannel) k.channel();
                        State st = (State) k.attachment();
                        buf.clear();
                        int n;
                        try {
                            n = ch.read(buf);
                        } catch (IOException e) {
                            k.cancel();
                            continue;
                        }
                        if (n < 0) {
                            k.cancel();
                            continue;
                        }
                        st.carry.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
                        scan(st, now);
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException e) {
                if (!closed) {
                    e.printStackTrace();
                }
            }
        }

        private void scan(State st, long now) {
            int end;
            while ((end = st.carry.indexOf("\n\n")) >= 0) {
                String message = st.carry.substring(0, end);
                st.carry.delete(0, end + 2);
                int id = message.indexOf("id: ");
                if (id < 0) {
                    continue;
                }
                int eol = message.indexOf('\n', id);
                long ts = Long.parseLong(message.substring(id + 4, eol < 0 ? message.length() : eol));
                if (!st.sawFirst) {
                    st.sawFirst = true;
                    firstEvents.incrementAndGet();
                }
                Integer tick = published.get(ts);
                if (tick != null) {
                    received[tick].incrementAndGet();
                    lastReceipt[tick].accumulateAndGet(now, Math::max);
                }
            }
        }

        void close() throws IOException {
            closed = true;
            selector.wakeup();
            synchronized (this) {
                for (SocketChannel ch : channels) {
                    ch.close();
                }
            }
            selector.close();
        }
    }
}

package dev.llmmeter.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What the benchmark ran on, and the process's memory: heap in use and resident set size (Linux). */
public final class Machine {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private Machine() {
    }

    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** E.g. {@code 2 cores (AMD EPYC 7B13), Linux 6.1, Java 17.0.15}. */
    public static String describe() {
        String cpu = cpuModel();
        return String.format(Locale.ROOT, "%d cores%s, %s %s, Java %s, max heap %,d MB", cores(),
                cpu == null ? "" : " (" + cpu + ")", System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no model
        }
        return null;
    }

    /** Heap in use now, bytes. */
    public static long heapUsed() {
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Resident set size now ({@code VmRSS}), bytes; -1 where /proc is not available. */
    public static long rss() {
        return statusBytes("VmRSS:");
    }

    /** Peak resident set size of the process so far ({@code VmHWM}), bytes; -1 where /proc is not available. */
    public static long peakRss() {
        return statusBytes("VmHWM:");
    }

    private static long statusBytes(String field) {
        try {
            List<String> lines = Files.readAllLines(STATUS, StandardCharsets.US_ASCII);
            for (String line : lines) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024; // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /**
     * The highest heap in use seen by a daemon thread that samples it every {@code periodMs} until closed:
     * a sampled peak (a spike between two samples is missed), cheap enough to run beside a benchmark.
     */
    public static final class PeakHeap implements AutoCloseable {
        private final Thread sampler;
        private volatile long peak = heapUsed();
        private volatile boolean stopped;

        public PeakHeap(long periodMs) {
            sampler = new Thread(() -> {
                while (!stopped) {
                    long used = heapUsed();
                    if (used > peak) {
                        peak = used;
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(periodMs * 1_000_000L);
                }
            }, "bench-peak-heap");
            sampler.setDaemon(true);
            sampler.start();
        }

        /** Bytes; includes the present moment. */
        public long peak() {
            return Math.max(peak, heapUsed());
        }

        @Override
        public void close() {
            stopped = true;
        }
    }

    /**
     * CPU time so far, nanoseconds, of the live threads whose name starts with {@code prefix} and contains
     * {@code part} (a Kafka Streams app's stream threads: {@code <client id>-StreamThread-<n>}); 0 when none.
     */
    public static long threadCpuNanos(String prefix, String part) {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        // Names only (no stack depth): taken inside a timed run, so no stack of any thread is walked.
        for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
            if (t != null && t.getThreadName().startsWith(prefix) && t.getThreadName().contains(part)) {
                sum += Math.max(threads.getThreadCpuTime(t.getThreadId()), 0);
            }
        }
        return sum;
    }

    /** CPU time of the whole process so far, nanoseconds (every thread, the broker's included); -1 when unknown. */
    public static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** Heap in use after a full collection, bytes: for footprint estimates (not on a timed path). */
    public static long heapUsedAfterGc() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, heapUsed());
        }
        return used;
    }
}

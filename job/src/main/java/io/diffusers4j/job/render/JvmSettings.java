// Per-JVM settings executors apply around DJL: offline mode, no tracking, libtorch intra-op threads.
package io.diffusers4j.job.render;

import ai.djl.pytorch.jni.JniUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Belt and braces for executors: {@code spark.executorEnv.OPT_OUT_TRACKING/DJL_OFFLINE} set the environment, and
 * {@link #djlOffline()} sets the equivalent system properties (DJL reads either) before the engine loads, so DJL
 * never calls home nor downloads. {@link #torchThreads} sizes libtorch's intra-op pool to the cores each
 * concurrent task owns (a 4-core executor running 4 tasks: 1 thread each), avoiding oversubscription.
 */
public final class JvmSettings {
    private static final Logger LOG = LoggerFactory.getLogger(JvmSettings.class);
    private static int threadsApplied;

    private JvmSettings() {
    }

    /** Where the launcher and the job look for a faster malloc, in order of preference. */
    static final List<String> ALLOCATOR_CANDIDATES = List.of(
            "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4",
            "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
            "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2", "/usr/lib64/libtcmalloc_minimal.so.4",
            "/usr/lib64/libjemalloc.so.2");

    /**
     * The malloc library executors should preload (tensor loops on glibc malloc spend most of their time
     * page-faulting; tcmalloc is several times faster, docs/design.md#allocator): the library this JVM runs with when
     * it was preloaded (the launcher does), else the first installed candidate; null when none is found or
     * {@code DIFFUSERS4J_ALLOCATOR=system}. A worker that lacks the file only logs a loader warning and runs on.
     */
    public static String allocatorLibrary() {
        if ("system".equals(System.getenv("DIFFUSERS4J_ALLOCATOR"))) {
            return null;
        }
        String preloaded = System.getenv("LD_PRELOAD");
        if (preloaded != null) {
            for (String lib : preloaded.split("[: ]")) {
                if (lib.contains("tcmalloc") || lib.contains("jemalloc")) {
                    return lib;
                }
            }
        }
        for (String lib : ALLOCATOR_CANDIDATES) {
            if (Files.isRegularFile(Path.of(lib))) {
                return lib;
            }
        }
        return null;
    }

    /** libtorch's switch for transparent huge pages under its CPU tensors (c10's CPU allocator, libtorch >= 2.3). */
    public static final String HUGE_PAGES_ENV = "THP_MEM_ALLOC_ENABLE";

    /**
     * The {@value #HUGE_PAGES_ENV} value executors should get: this JVM's own when it has one (the launcher exports
     * 1 unless the user set it; 0 switches it off), else 1. With 1, libtorch asks the kernel for 2 MiB pages
     * ({@code madvise(MADV_HUGEPAGE)}) under every tensor of 2 MiB or more: a fresh activation is faulted in 512
     * times less often, which on a VM is most of what a large batch's fresh memory costs
     * (docs/performance.md#transparent-huge-pages-for-tensors-the-jobs-batch-size-re-measured).
     */
    public static String hugePagesSetting() {
        String v = System.getenv(HUGE_PAGES_ENV);
        return v == null || v.isBlank() ? "1" : v.trim();
    }

    /**
     * Whether this process's tensors get huge pages, in words: "on (kernel: madvise)", "off (THP_MEM_ALLOC_ENABLE
     * unset)", "off (kernel: never)"...
     */
    public static String hugePagesInUse() {
        String v = System.getenv(HUGE_PAGES_ENV);
        String kernel = kernelHugePageMode();
        if (!"1".equals(v == null ? null : v.trim())) {
            return "off (" + HUGE_PAGES_ENV + (v == null ? " unset" : "=" + v) + ")";
        }
        return ("never".equals(kernel) ? "off" : "on") + " (kernel: " + kernel + ")";
    }

    /** The bracketed mode of /sys/kernel/mm/transparent_hugepage/enabled (always, madvise, never), or "unknown". */
    static String kernelHugePageMode() {
        try {
            return selectedMode(Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The bracketed word of a sysfs choice list ("always [madvise] never" -> "madvise"), or "unknown". */
    static String selectedMode(String choices) {
        int open = choices.indexOf('[');
        int close = choices.indexOf(']', open + 1);
        return open >= 0 && close > open + 1 ? choices.substring(open + 1, close) : "unknown";
    }

    /** The malloc this JVM runs with: the tcmalloc/jemalloc library mapped into the process, else "glibc". */
    public static String allocatorInUse() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int at = line.indexOf('/');
                if (at >= 0 && (line.contains("libtcmalloc") || line.contains("libjemalloc"))) {
                    String path = line.substring(at);
                    return path.substring(path.lastIndexOf('/') + 1);
                }
            }
            return "glibc";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** DJL offline and no tracking for this JVM (idempotent; safe on the driver too). */
    public static void djlOffline() {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("DJL_OFFLINE", "true");
        System.setProperty("ai.djl.offline", "true");
    }

    /** Before the engine loads: what libtorch will start with. */
    static synchronized void torchThreadsBeforeEngine(int threads) {
        if (threads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
    }

    /** Once the engine is up: sets the live intra-op thread count (new task threads pick it up). */
    static synchronized void torchThreadsOnEngine(int threads) {
        if (threads > 0 && threadsApplied != threads) {
            JniUtils.setNumThreads(threads);
            threadsApplied = threads;
            LOG.info("libtorch intra-op threads per task: {}", threads);
        }
    }
}

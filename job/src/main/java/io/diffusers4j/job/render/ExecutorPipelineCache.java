// The executor-JVM-wide pipeline cache: each pipeline is built once per JVM, lazily, and reused by every task.
package io.diffusers4j.job.render;

import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@link Renderer} per (spec, device) per JVM. The first task that needs it builds it (others wait for that
 * build instead of starting their own); every later partition and batch of any job in the JVM reuses it. A
 * build that fails is not cached, so a retried task tries again. Each build gets a {@code pipeline_instance_id}
 * ("executorId-pid-random") that the output rows carry, which is how "built once per executor" is checked.
 * Everything is closed by a JVM shutdown hook (executors exit when the application ends).
 */
public final class ExecutorPipelineCache {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorPipelineCache.class);

    /** A built renderer and the id of its build. */
    public record Handle(Renderer renderer, String instanceId) {
    }

    private record Key(PipelineSpec spec, String device) {
    }

    private static final class Entry {
        private Handle handle;
    }

    private static final Map<Key, Entry> ENTRIES = new ConcurrentHashMap<>();
    private static final AtomicInteger BUILDS = new AtomicInteger();
    /** Build time in milliseconds by pipeline_instance_id (the run report shows it). */
    private static final Map<String, Long> BUILD_MILLIS = new ConcurrentHashMap<>();
    private static boolean hookInstalled;

    private ExecutorPipelineCache() {
    }

    /** The renderer of {@code spec} on {@code device}, built on first use. */
    public static Handle acquire(PipelineSpec spec, String device) {
        Entry entry = ENTRIES.computeIfAbsent(new Key(spec, device), k -> new Entry());
        synchronized (entry) {
            if (entry.handle == null) {
                entry.handle = build(spec, device);
            }
            return entry.handle;
        }
    }

    private static Handle build(PipelineSpec spec, String device) {
        installShutdownHook();
        JvmSettings.djlOffline();
        long t0 = System.nanoTime();
        Renderer renderer = RendererFactory.forSpec(spec).create(spec, device);
        int n = BUILDS.incrementAndGet();
        String id = executorId() + "-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        BUILD_MILLIS.put(id, ms);
        LOG.info("pipeline {} built ({} on {}, build #{} in this JVM) in {} ms; malloc: {}; tensor huge pages: {}",
                id, spec.modelName(), device, n, ms, JvmSettings.allocatorInUse(), JvmSettings.hugePagesInUse());
        return new Handle(renderer, id);
    }

    /** Spark's executor id ("driver" in local mode), or "local" outside Spark. */
    public static String executorId() {
        SparkEnv env = SparkEnv.get();
        return env == null ? "local" : env.executorId();
    }

    /** How long the build {@code instanceId} of this JVM took, in milliseconds; -1 if it is not one of them. */
    public static long buildMillis(String instanceId) {
        return BUILD_MILLIS.getOrDefault(instanceId, -1L);
    }

    /** Pipelines built in this JVM so far. */
    public static int builds() {
        return BUILDS.get();
    }

    private static synchronized void installShutdownHook() {
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(ExecutorPipelineCache::closeAll, "d4j-pipeline-close"));
            hookInstalled = true;
        }
    }

    /** Closes and forgets every cached pipeline (the shutdown hook; tests). */
    public static void closeAll() {
        List<Entry> entries = new ArrayList<>(ENTRIES.values());
        ENTRIES.clear();
        for (Entry e : entries) {
            synchronized (e) {
                if (e.handle != null) {
                    try {
                        e.handle.renderer().close();
                    } catch (RuntimeException ex) {
                        LOG.warn("closing pipeline {} failed: {}", e.handle.instanceId(), ex.toString());
                    }
                    e.handle = null;
                }
            }
        }
    }
}

// Whether a preset built in memory fits: the machine's available memory and the JVM's direct-buffer limit.
package io.diffusers4j.bench;

import io.diffusers4j.models.clip.CLIPTextConfig;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * The memory check of the presets built in memory, before their large components are allocated. Random weights are
 * made on the Java side and handed to libtorch in direct buffers, which libtorch keeps (no copy): they count against
 * the JVM's direct-memory limit ({@code -XX:MaxDirectMemorySize}, by default the heap limit {@code -Xmx}, itself a
 * quarter of the machine's memory by default) as well as against the machine's available memory. A build that would
 * exceed either is refused with one line saying what to change, instead of failing half-way.
 */
final class PresetMemory {
    private static final double GIB = 1024.0 * 1024 * 1024;

    private PresetMemory() {
    }

    /**
     * Refuses to build {@code bytes} of weights when MemAvailable is below that plus 10% and 1 GiB (room for the
     * activations; {@code hint}: what to build instead), or when the direct-memory headroom is below that plus 2%
     * and 256 MiB.
     */
    static void require(long bytes, String what, String hint) {
        double available = ProcessStats.memAvailableMb() * 1024 * 1024;
        if (available > 0 && available < bytes * 1.1 + GIB) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s needs %.1f GiB of weights but this "
                    + "machine has %.1f GiB available; %s", what, bytes / GIB, available / GIB, hint));
        }
        long limit = directLimitBytes();
        long headroom = limit - directUsedBytes();
        if (headroom < bytes * 1.02 + GIB / 4) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s needs %.1f GiB of weights in direct "
                    + "buffers but this JVM allows %.1f GiB more (direct-memory limit %.1f GiB: "
                    + "-XX:MaxDirectMemorySize, else -Xmx); run with e.g. DIFFUSERS4J_JAVA_OPTS=\"-Xmx2g -XX:MaxDirectMemorySize=%dg\"", what,
                    bytes / GIB, headroom / GIB, limit / GIB, (long) Math.ceil((bytes + limit - headroom) / GIB) + 2));
        }
    }

    /** The JVM's direct-memory limit: {@code -XX:MaxDirectMemorySize}, else the heap limit (the JVM's default). */
    static long directLimitBytes() {
        long limit = Runtime.getRuntime().maxMemory();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:MaxDirectMemorySize=")) {
                limit = parseSize(arg.substring(arg.indexOf('=') + 1));
            }
        }
        return limit;
    }

    /** JVM size syntax: a number with an optional k, m, g or t suffix (any case). */
    static long parseSize(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        int shift = switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        return Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1)) << shift;
    }

    /** Bytes of direct buffers the JVM holds now. */
    static long directUsedBytes() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    /**
     * The parameters of a CLIP text model of {@code cfg}: token and position embeddings, per layer the attention
     * projections, two layer norms and the MLP, the final layer norm, and {@code text_projection} (no bias) when
     * {@code projection}.
     */
    static long clipParameters(CLIPTextConfig cfg, boolean projection) {
        long h = cfg.hiddenSize;
        long i = cfg.intermediateSize;
        long layer = 4 * (h * h + h) + 4 * h + 2 * h * i + i + h;
        return (long) cfg.vocabSize * h + (long) cfg.maxPositionEmbeddings * h + cfg.numHiddenLayers * layer + 2 * h
                + (projection ? h * cfg.projectionDim : 0);
    }
}

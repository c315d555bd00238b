// Per-op-class timing and FLOP counting of the nn primitives (the benchmark's UNet split); off by default.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A process-wide switch and counters for timing the model primitives by op class: {@link Conv2d} (convolution),
 * {@link Linear} and the two products of {@link ScaledDotProductAttention} (matmul), the attention's mask and
 * softmax (attention softmax), {@link GroupNorm} and {@link LayerNorm}. Each instrumented call adds its wall time,
 * its multiply-add FLOPs (2 per multiply-add) and one call to its class; the fused attention kernel
 * ({@link TorchOps#attention}) is its own class, counted with the FLOPs of its two products. What a forward spends outside these
 * (activations, residual adds, layout copies, concatenations, upsampling) is the caller's total minus their sum.
 *
 * <p>Off by default: a disabled probe costs one volatile read. libtorch runs CPU ops synchronously, so wall time
 * per op is the op's time. On CUDA ops are queued asynchronously; while the profiler is on, every probe waits for
 * its result (a one-element copy to the host), so per-op times are valid there too, at the price of a sync per op.
 *
 * <p>The counters are global (all threads add to them): profile one forward at a time.
 */
public final class OpProfiler {
    /** The op classes of the benchmark's split of a UNet step. */
    public enum OpClass {
        CONVOLUTION("convolution"),
        MATMUL("matmul"),
        ATTENTION_SOFTMAX("attention_softmax"),
        /** libtorch's fused attention kernel (both products and the softmax in one blocked kernel). */
        ATTENTION_FUSED("attention_fused"),
        GROUP_NORM("group_norm"),
        LAYER_NORM("layer_norm");

        private final String key;

        OpClass(String key) {
            this.key = key;
        }

        /** The snake_case name used in reports. */
        public String key() {
            return key;
        }
    }

    /** Time, FLOPs and calls of one op class. */
    public record Counts(long nanos, long flops, long calls) {
    }

    /** Time, FLOPs and calls of one op class at one output shape (the hot-spot table). */
    public record Site(OpClass op, String shape, long nanos, long flops, long calls) {
    }

    private static volatile boolean enabled;
    private static final Map<String, long[]> SITES = new ConcurrentHashMap<>();
    private static final LongAdder[] NANOS = adders();
    private static final LongAdder[] FLOPS = adders();
    private static final LongAdder[] CALLS = adders();

    private OpProfiler() {
    }

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[OpClass.values().length];
        for (int i = 0; i < a.length; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    public static boolean enabled() {
        return enabled;
    }

    /** Turns the probes on or off (the counters keep their values; see {@link #reset()}). */
    public static void enable(boolean on) {
        enabled = on;
    }

    /** Zeroes every counter. */
    public static void reset() {
        for (int i = 0; i < NANOS.length; i++) {
            NANOS[i].reset();
            FLOPS[i].reset();
            CALLS[i].reset();
        }
        SITES.clear();
    }

    /** The start of a probe: {@code System.nanoTime()} when enabled, else 0 (and {@link #stop} ignores it). */
    public static long start() {
        return enabled ? System.nanoTime() : 0L;
    }

    /**
     * Ends a probe started with {@link #start()}: adds the elapsed time, {@code flops} and one call to {@code op}.
     * {@code result} (may be null) is the op's output; on a GPU the probe waits for it before reading the clock.
     */
    public static void stop(OpClass op, long start, long flops, NDArray result) {
        if (start == 0L) {
            return;
        }
        if (result != null) {
            sync(result);
        }
        long elapsed = System.nanoTime() - start;
        int i = op.ordinal();
        NANOS[i].add(elapsed);
        FLOPS[i].add(flops);
        CALLS[i].increment();
        String site = op.ordinal() + (result == null ? "" : " " + result.getShape());
        long[] acc = SITES.computeIfAbsent(site, k -> new long[3]);
        synchronized (acc) {
            acc[0] += elapsed;
            acc[1] += flops;
            acc[2]++;
        }
    }

    /** Per (op class, output shape) totals since the last {@link #reset()}, the most expensive first. */
    public static List<Site> sites() {
        List<Site> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : SITES.entrySet()) {
            String key = e.getKey();
            int sp = key.indexOf(' ');
            OpClass op = OpClass.values()[Integer.parseInt(sp < 0 ? key : key.substring(0, sp))];
            long[] acc = e.getValue();
            synchronized (acc) {
                out.add(new Site(op, sp < 0 ? "" : key.substring(sp + 1), acc[0], acc[1], acc[2]));
            }
        }
        out.sort(Comparator.comparingLong(Site::nanos).reversed());
        return out;
    }

    /**
     * Waits until {@code x} is computed: on a GPU a one-element copy to the host (which waits for the stream); on
     * the CPU nothing (libtorch computed it before returning).
     */
    public static void sync(NDArray x) {
        if (!x.getDevice().isGpu() || x.getShape().size() == 0) {
            return;
        }
        try (NDArray flat = x.reshape(-1); NDArray first = flat.get(0)) {
            first.toByteArray();
        }
    }

    /** The counters now, by op class. */
    public static Map<OpClass, Counts> snapshot() {
        Map<OpClass, Counts> out = new EnumMap<>(OpClass.class);
        for (OpClass c : OpClass.values()) {
            int i = c.ordinal();
            out.put(c, new Counts(NANOS[i].sum(), FLOPS[i].sum(), CALLS[i].sum()));
        }
        return out;
    }

    /** FLOPs of a convolution that produced {@code out} from {@code inChannels / groups} inputs per output. */
    static long convFlops(NDArray out, long inChannelsPerGroup, long kernelElements) {
        return 2L * out.getShape().size() * inChannelsPerGroup * kernelElements;
    }
}

// torch.nn.Linear over DJL's functional linear (and peft's LoRA Linear around it).
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.weights.MappedWeights;
import io.diffusers4j.weights.WeightScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * y = x W^T + b, weight {@code [out, in]}; works on any leading dimensions. Built by {@link #load} or
 * {@link #loadConv1x1}, it registers itself in its weight scope so that LoRA adapters can target it
 * ({@link LoraTarget}).
 *
 * <p>On the CPU in float32 the product is oneDNN's inner product ({@link TorchOps#linear}) rather than
 * {@code torch.linear}, which this libtorch computes with MKL: twice as fast on AMD CPUs, where MKL does not use
 * AVX-512 (on Intel CPUs both use it; not measured); {@code -Ddiffusers4j.linear-onednn=false} returns to
 * {@code torch.linear}.
 *
 * <p>Built in a bfloat16 scope ({@link WeightScope#bf16Compute()}), a CPU layer computes in bfloat16: its first call
 * makes a bfloat16 copy of the weight and bias inside libtorch ({@link TorchOps#packLinearBf16}: an opaque
 * TorchScript value, never a DJL array), attached to the weight's manager and freed with it; a memory-mapped weight's
 * pages are then handed back to the page cache ({@link MappedWeights#release}). Each call casts the float32 input to
 * bfloat16, multiplies with float32 accumulation and returns float32. A fused LoRA weight gets its own copy; unfused
 * adapter branches stay float32.
 */
public final class Linear implements LoraTarget {
    private static final Logger LOG = LoggerFactory.getLogger(Linear.class);
    private static volatile boolean warned;
    private final NDArray weight;
    private final NDArray bias;
    /** The checkpoint's shape of the weight: [out, in], or [out, in, 1, 1] for a 1x1 convolution. */
    private final long[] checkpointShape;
    /** Whether this layer computes in bfloat16 on the CPU. */
    private final boolean bf16;
    /** The checkpoint's tensor behind {@link #weight} (the 4-D kernel of a 1x1 convolution), for the release. */
    private final NDArray stored;
    private volatile NDArray fused;
    private volatile LoraBranch lora;
    private volatile Bf16Copy baseCopy;
    private volatile Bf16Copy fusedCopy;

    public Linear(NDArray weight, NDArray bias) {
        this(weight, bias, weight, weight.getShape().getShape(), false);
    }

    private Linear(NDArray weight, NDArray bias, NDArray stored, long[] checkpointShape, boolean bf16) {
        this.weight = weight;
        this.bias = bias;
        this.stored = stored;
        this.checkpointShape = checkpointShape;
        this.bf16 = bf16;
    }

    public static Linear load(WeightScope scope, long in, long out, boolean bias) {
        NDArray w = scope.get("weight", out, in);
        Linear layer = new Linear(w, bias ? scope.get("bias", out) : null, w, w.getShape().getShape(),
                scope.bf16Compute());
        scope.registerModule(layer);
        return layer;
    }

    /**
     * {@code nn.Conv2d(in, out, kernel_size=1)} (with bias) computed on the channels-last token layout: the
     * checkpoint's {@code [out, in, 1, 1]} kernel viewed as an {@code [out, in]} matrix.
     */
    public static Linear loadConv1x1(WeightScope scope, long in, long out) {
        NDArray kernel = scope.get("weight", out, in, 1, 1);
        Linear layer = new Linear(kernel.reshape(out, in), scope.get("bias", out), kernel,
                new long[] {out, in, 1, 1}, scope.bf16Compute());
        scope.registerModule(layer);
        return layer;
    }

    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        NDArray f = fused;
        NDArray w = f != null ? f : weight;
        TorchOps.Bf16Linear packed = bf16 ? bf16For(x, f) : null;
        NDArray out;
        if (packed != null) {
            out = TorchOps.linearBf16(x, packed);
        } else {
            // oneDnn() includes TorchOps.available(), so TorchOps.linear has its module here
            out = oneDnn(x, w) ? TorchOps.linear(x, w, bias)
                    : bias == null ? ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow()
                    : ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow();
        }
        if (t0 != 0L) {
            OpProfiler.stop(OpProfiler.OpClass.MATMUL, t0, 2L * out.getShape().size() * w.getShape().get(1), out);
        }
        LoraBranch branch = lora;
        return branch == null ? out : branch.addTo(x, out);
    }

    /**
     * Whether this call computes with oneDNN ({@link TorchOps#linear}): float32 input and weight on the CPU, unless
     * {@code -Ddiffusers4j.linear-onednn=false}.
     */
    private static boolean oneDnn(NDArray x, NDArray w) {
        return !x.getDevice().isGpu() && x.getDataType() == DataType.FLOAT32 && w.getDataType() == DataType.FLOAT32
                && !w.getDevice().isGpu() && Boolean.parseBoolean(System.getProperty(ONEDNN, "true"))
                && TorchOps.available();
    }

    /** The switch of {@link #oneDnn}. */
    static final String ONEDNN = "diffusers4j.linear-onednn";

    /**
     * The bfloat16 copy of the weight in use ({@code fusedWeight}, or the base weight when null), made on first use;
     * null to compute in float32 (not a float32 CPU input, or the TorchScript ops are unavailable).
     */
    private TorchOps.Bf16Linear bf16For(NDArray x, NDArray fusedWeight) {
        if (x.getDevice().isGpu() || x.getDataType() != DataType.FLOAT32 || !TorchOps.available()) {
            return null;
        }
        NDArray w = fusedWeight != null ? fusedWeight : weight;
        Bf16Copy copy = fusedWeight != null ? fusedCopy : baseCopy;
        if (copy == null || copy.source != w) {
            synchronized (this) {
                copy = fusedWeight != null ? fusedCopy : baseCopy;
                if (copy == null || copy.source != w) {
                    copy = new Bf16Copy(w, pack(w));
                    if (copy.packed != null) {
                        // freed with the weight (its manager may be capped: this attach is allowed)
                        w.getManager().attachUncappedInternal("bf16-linear-" + UUID.randomUUID(), copy.packed);
                        if (fusedWeight == null) {
                            MappedWeights.release(stored);
                        }
                    }
                    if (fusedWeight != null) {
                        fusedCopy = copy;
                    } else {
                        baseCopy = copy;
                    }
                }
            }
        }
        return copy.packed;
    }

    private TorchOps.Bf16Linear pack(NDArray w) {
        try {
            return TorchOps.packLinearBf16(w, bias);
        } catch (RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warn("a bfloat16 copy of a linear layer failed ({}); computing it in float32",
                        e.toString().lines().findFirst().orElse(""));
            }
            return null;
        }
    }

    /** A weight and its bfloat16 copy (null when the TorchScript ops could not make one). */
    private record Bf16Copy(NDArray source, TorchOps.Bf16Linear packed) {
    }

    /** Whether this layer computes in bfloat16 on the CPU (built in a bfloat16 scope). */
    public boolean bf16Compute() {
        return bf16;
    }

    public NDArray weight() {
        return weight;
    }

    public NDArray bias() {
        return bias;
    }

    public long inFeatures() {
        return weight.getShape().get(1);
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }

    @Override
    public long[] checkpointShape() {
        return checkpointShape.clone();
    }

    @Override
    public UnaryOperator<NDArray> downProjection(NDArray down) {
        return matrix(down)::forward;
    }

    @Override
    public UnaryOperator<NDArray> upProjection(NDArray up) {
        return matrix(up)::forward;
    }

    /** A bias-free linear map from a [o, i] or [o, i, 1, 1] weight. */
    private static Linear matrix(NDArray w) {
        long[] s = w.getShape().getShape();
        return new Linear(s.length == 2 ? w : w.reshape(s[0], s[1]), null);
    }

    @Override
    public NDArray delta(NDArray down, NDArray up) {
        long[] d = down.getShape().getShape();
        long[] u = up.getShape().getShape();
        try (NDArray up2 = up.reshape(u[0], u[1]); NDArray down2 = down.reshape(d[0], d[1])) {
            return up2.matMul(down2);
        }
    }

    @Override
    public NDArray baseWeight() {
        return weight;
    }

    @Override
    public void setBranch(LoraBranch branchOrNull) {
        this.lora = branchOrNull;
    }

    @Override
    public void setFusedWeight(NDArray fusedOrNull) {
        this.fused = fusedOrNull;
    }
}

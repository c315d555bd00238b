// torch.nn.Conv2d over DJL's functional conv2d, or libtorch's prepacked oneDNN convolution on the CPU (and peft's LoRA
// Conv2d around it).
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.MappedWeights;
import io.diffusers4j.weights.WeightScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * A 2-D convolution with square kernel, stride and padding; weight {@code [out, in, k, k]}.
 *
 * <p>On the CPU in float32, the first call packs the weights into oneDNN's blocked layout
 * ({@link TorchOps#packConv}) and every call then runs the packed convolution: {@code torch.conv2d} would reorder
 * the weights on every call, which for the UNet's 1280-channel layers at small spatial sizes costs as much as the
 * arithmetic. By default only weights that are views of a memory-mapped checkpoint are packed: the packed copy then
 * replaces the original in memory, whose pages are handed back to the page cache ({@link MappedWeights#release}); see
 * {@link #packingWanted()}. The packed context is attached to the weights' manager and freed with it. Packing is
 * chosen for the first input shape (other shapes still work). {@code -Ddiffusers4j.conv-prepack=false} (or
 * {@code -Ddiffusers4j.torch-ops=false}) computes every call with {@code torch.conv2d}; GPUs and other dtypes
 * always do.
 *
 * <p>libtorch 2.7.1's CPU convolution (oneDNN) returns wrong values for kernels larger than 1x1 when the input
 * channels exceed the CPU's SIMD block and are not a multiple of it (16 on AVX-512 machines, 8 on AVX2; measured
 * here: 24, 40 or 330 input channels give errors of order 10 on an AVX-512 CPU, while 16, 320 and every multiple of
 * 16 are exact). Such weights are zero-padded to a multiple of {@value #CHANNEL_BLOCK} input channels once, and the
 * input gets as many zero channels per call: the sum is the same, computed by the kernel that is right. Real
 * Stable Diffusion checkpoints have multiples of 16 everywhere (320, 640, 960, 1280, ...) and never take this
 * path; small test checkpoints do (8 + 16 = 24 channels after a skip concatenation).
 *
 * <p>Built by {@link #load} in a bfloat16 scope ({@link WeightScope#bf16Compute()}), a CPU convolution packs its
 * weights as bfloat16 on its first call, whatever {@code diffusers4j.conv-prepack} says ({@link TorchOps#packConvBf16}:
 * the bfloat16 weights exist only inside the packed context, never as a DJL array), and every call casts the float32
 * input to bfloat16, convolves with float32 accumulation and returns float32. The channel padding below applies
 * unchanged: libtorch's bfloat16 kernels are wrong for the same input-channel counts (measured: 24, 40 and 330 input
 * channels wrong by ~20, some outputs NaN; 3, 8, 16, 48 and 320 right).
 *
 * <p>Built by {@link #load}, a convolution registers itself in its weight scope so that LoRA adapters can target it
 * ({@link LoraTarget}; LoCon). A fused adapter replaces the kernel by a copy holding the sum, packed on first use like
 * the original when the original is packed; unfusing returns to the original kernel and its packed form, which were
 * never modified.
 */
public final class Conv2d implements LoraTarget {
    private static final Logger LOG = LoggerFactory.getLogger(Conv2d.class);
    private static volatile boolean warned;
    /** Input channels are padded to a multiple of this on the CPU when the kernel is larger than 1x1. */
    static final int CHANNEL_BLOCK = 16;

    /** The weight as built (the checkpoint's), before any channel padding. */
    private final NDArray original;
    private final NDArray bias;
    private final int strideValue;
    private final int paddingValue;
    private final Shape stride;
    private final Shape padding;
    private final Shape dilation = new Shape(1, 1);
    /** Zero input channels appended to every input (the weight is padded to match); 0 when none. */
    private final long extraChannels;
    /** Whether this convolution computes in bfloat16 on the CPU. */
    private final boolean bf16;
    private final Kernel base;
    private volatile Kernel fused;
    private volatile LoraBranch lora;

    public Conv2d(NDArray weight, NDArray bias, int stride, int padding) {
        this(weight, bias, stride, padding, true, false);
    }

    private Conv2d(NDArray weight, NDArray bias, int stride, int padding, boolean mayPack, boolean bf16) {
        this.original = weight;
        this.bf16 = bf16;
        this.extraChannels = extraInputChannels(weight);
        this.bias = bias;
        this.strideValue = stride;
        this.paddingValue = padding;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
        NDArray padded = extraChannels == 0 ? weight : padInputChannels(weight, extraChannels);
        this.base = new Kernel(padded, mayPack && MappedWeights.isMapped(padded), !mayPack);
    }

    public static Conv2d load(WeightScope scope, long in, long out, int kernel, int stride, int padding) {
        Conv2d conv = new Conv2d(scope.get("weight", out, in, kernel, kernel), scope.get("bias", out), stride,
                padding, true, scope.bf16Compute());
        scope.registerModule(conv);
        return conv;
    }

    /**
     * How many zero input channels a CPU weight needs so that libtorch computes it correctly: up to the next
     * multiple of {@value #CHANNEL_BLOCK} for kernels larger than 1x1 with more input channels than that and not a
     * multiple of it; else 0.
     */
    static long extraInputChannels(NDArray weight) {
        Shape w = weight.getShape();
        long in = w.get(1);
        boolean spatialKernel = w.get(2) > 1 || w.get(3) > 1;
        if (weight.getDevice().isGpu() || !spatialKernel || in <= CHANNEL_BLOCK || in % CHANNEL_BLOCK == 0) {
            return 0;
        }
        return CHANNEL_BLOCK - in % CHANNEL_BLOCK;
    }

    /** {@code cat([weight, zeros(out, extra, k, k)], 1)} in the weight's manager. */
    private static NDArray padInputChannels(NDArray weight, long extra) {
        Shape w = weight.getShape();
        try (NDArray zeros = weight.getManager().zeros(new Shape(w.get(0), extra, w.get(2), w.get(3)),
                weight.getDataType())) {
            return weight.concat(zeros, 1);
        }
    }

    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        Kernel kernel = fused != null ? fused : base;
        NDArray input = extraChannels == 0 ? x : padInput(x);
        TorchOps.PackedConv p = kernel.packedFor(input);
        NDArray out = p != null ? TorchOps.runConv(input, p)
                : ai.djl.nn.convolutional.Conv2d.conv2d(input, kernel.weight, bias, stride, padding, dilation, 1)
                .singletonOrThrow();
        if (input != x) {
            input.close();
        }
        if (t0 != 0L) {
            Shape w = kernel.weight.getShape();
            long flops = OpProfiler.convFlops(out, w.get(1) - extraChannels, w.get(2) * w.get(3));
            OpProfiler.stop(OpProfiler.OpClass.CONVOLUTION, t0, flops, out);
        }
        LoraBranch branch = lora;
        return branch == null ? out : branch.addTo(x, out);
    }

    /** {@code cat([x, zeros(N, extra, H, W)], 1)} in the manager of {@code x}. */
    private NDArray padInput(NDArray x) {
        Shape s = x.getShape();
        try (NDArray zeros = x.getManager().zeros(new Shape(s.get(0), extraChannels, s.get(2), s.get(3)),
                x.getDataType())) {
            return x.concat(zeros, 1);
        }
    }

    /** A (channel-padded) weight and its packed form, made on first use. */
    private final class Kernel {
        final NDArray weight;
        /** Whether {@code diffusers4j.conv-prepack=auto} packs this kernel. */
        final boolean packWhenAuto;
        volatile TorchOps.PackedConv packed;
        volatile boolean noPacking;

        Kernel(NDArray weight, boolean packWhenAuto, boolean never) {
            this.weight = weight;
            this.packWhenAuto = packWhenAuto;
            this.noPacking = never || weight.getDevice().isGpu() || weight.getDataType() != DataType.FLOAT32;
        }

        /** The packed convolution for a CPU float32 input, packing it on first use; null to use torch.conv2d. */
        TorchOps.PackedConv packedFor(NDArray x) {
            TorchOps.PackedConv p = packed;
            if (p != null || noPacking) {
                return p == null || x.getDevice().isGpu() || x.getDataType() != DataType.FLOAT32 ? null : p;
            }
            if (x.getDevice().isGpu() || x.getDataType() != DataType.FLOAT32 || x.getShape().dimension() != 4
                    || !(bf16 || packingWanted(packWhenAuto)) || !TorchOps.available()) {
                return null;
            }
            synchronized (this) {
                if (packed == null && !noPacking) {
                    pack(x);
                }
                return packed;
            }
        }

        private void pack(NDArray x) {
            try {
                long[] shape = x.getShape().getShape();
                TorchOps.PackedConv made = bf16 ? TorchOps.packConvBf16(weight, bias, strideValue, paddingValue, shape)
                        : TorchOps.packConv(weight, bias, strideValue, paddingValue, shape);
                if (made == null) {
                    noPacking = true;
                } else {
                    // freed with the weights (the weights' manager may be capped: this attach is allowed)
                    weight.getManager().attachUncappedInternal("packed-conv-" + UUID.randomUUID(), made);
                    packed = made;
                    MappedWeights.release(weight);
                }
            } catch (RuntimeException e) {
                noPacking = true;
                if (!warned) {
                    warned = true;
                    LOG.warn("prepacking a convolution failed ({}); computing it with torch.conv2d",
                            e.toString().lines().findFirst().orElse(""));
                }
            }
        }
    }

    /**
     * {@code diffusers4j.conv-prepack}: {@code auto} (the default) packs weights that are views of a memory-mapped
     * checkpoint, whose pages the packed copy replaces (no extra memory), and the fused copies of such weights;
     * {@code true} packs every float32 CPU convolution (weights in ordinary memory, e.g. cast from a float16
     * checkpoint or built in memory, are then held twice: +2.4 GB for SD-1.5); {@code false} never packs.
     */
    private static boolean packingWanted(boolean packWhenAuto) {
        String mode = System.getProperty("diffusers4j.conv-prepack", "auto");
        return switch (mode) {
            case "true" -> true;
            case "false" -> false;
            default -> packWhenAuto;
        };
    }

    /** Whether this convolution computes in bfloat16 on the CPU (built in a bfloat16 scope). */
    public boolean bf16Compute() {
        return bf16;
    }

    /** Whether the calls so far run the packed convolution (tests). */
    boolean isPacked() {
        Kernel kernel = fused != null ? fused : base;
        return kernel.packed != null;
    }

    public long outChannels() {
        return original.getShape().get(0);
    }

    @Override
    public long[] checkpointShape() {
        return original.getShape().getShape();
    }

    @Override
    public UnaryOperator<NDArray> downProjection(NDArray down) {
        return new Conv2d(down, null, strideValue, paddingValue, false, false)::forward;
    }

    @Override
    public UnaryOperator<NDArray> upProjection(NDArray up) {
        return new Conv2d(up, null, 1, 0, false, false)::forward;
    }

    /** peft's Conv2d.get_delta_weight: {@code up[o, r] @ down[r, i*kh*kw]} as an {@code [o, i, kh, kw]} kernel. */
    @Override
    public NDArray delta(NDArray down, NDArray up) {
        long[] d = down.getShape().getShape();
        long[] u = up.getShape().getShape();
        try (NDArray up2 = up.reshape(u[0], u[1]); NDArray down2 = down.reshape(d[0], -1);
             NDArray product = up2.matMul(down2)) {
            return product.reshape(u[0], d[1], d[2], d[3]);
        }
    }

    @Override
    public NDArray baseWeight() {
        return original;
    }

    @Override
    public void setBranch(LoraBranch branchOrNull) {
        this.lora = branchOrNull;
    }

    /**
     * Runs with {@code fusedOrNull} instead of the original weight (padded like it when needed, the padding in the
     * fused weight's manager), packed on first use when the original kernel would be; null returns to the original.
     */
    @Override
    public void setFusedWeight(NDArray fusedOrNull) {
        if (fusedOrNull == null) {
            fused = null;
            return;
        }
        NDArray padded = extraChannels == 0 ? fusedOrNull : padInputChannels(fusedOrNull, extraChannels);
        fused = new Kernel(padded, base.packWhenAuto || base.packed != null, false);
    }
}

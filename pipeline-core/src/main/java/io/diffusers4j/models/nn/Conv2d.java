// torch.nn.Conv2d over DJL's functional conv2d, or libtorch's prepacked oneDNN convolution on the CPU.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.MappedWeights;
import io.diffusers4j.weights.WeightScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 */
public final class Conv2d {
    private static final Logger LOG = LoggerFactory.getLogger(Conv2d.class);
    private static volatile boolean warned;
    /** Input channels are padded to a multiple of this on the CPU when the kernel is larger than 1x1. */
    static final int CHANNEL_BLOCK = 16;

    private final NDArray weight;
    private final NDArray bias;
    private final int strideValue;
    private final int paddingValue;
    private final Shape stride;
    private final Shape padding;
    private final Shape dilation = new Shape(1, 1);
    /** Zero input channels appended to every input (the weight is padded to match); 0 when none. */
    private final long extraChannels;
    private volatile TorchOps.PackedConv packed;
    private volatile boolean noPacking;

    public Conv2d(NDArray weight, NDArray bias, int stride, int padding) {
        this.extraChannels = extraInputChannels(weight);
        this.weight = extraChannels == 0 ? weight : padInputChannels(weight, extraChannels);
        this.bias = bias;
        this.strideValue = stride;
        this.paddingValue = padding;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
        this.noPacking = weight.getDevice().isGpu() || weight.getDataType() != DataType.FLOAT32;
    }

    public static Conv2d load(WeightScope scope, long in, long out, int kernel, int stride, int padding) {
        return new Conv2d(scope.get("weight", out, in, kernel, kernel), scope.get("bias", out), stride, padding);
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
        NDArray input = extraChannels == 0 ? x : padInput(x);
        TorchOps.PackedConv p = packedFor(input);
        NDArray out = p != null ? TorchOps.runConv(input, p)
                : ai.djl.nn.convolutional.Conv2d.conv2d(input, weight, bias, stride, padding, dilation, 1)
                .singletonOrThrow();
        if (input != x) {
            input.close();
        }
        if (t0 != 0L) {
            Shape w = weight.getShape();
            long flops = OpProfiler.convFlops(out, w.get(1) - extraChannels, w.get(2) * w.get(3));
            OpProfiler.stop(OpProfiler.OpClass.CONVOLUTION, t0, flops, out);
        }
        return out;
    }

    /** {@code cat([x, zeros(N, extra, H, W)], 1)} in the manager of {@code x}. */
    private NDArray padInput(NDArray x) {
        Shape s = x.getShape();
        try (NDArray zeros = x.getManager().zeros(new Shape(s.get(0), extraChannels, s.get(2), s.get(3)),
                x.getDataType())) {
            return x.concat(zeros, 1);
        }
    }

    /** The packed convolution for a CPU float32 input, packing it on first use; null to use torch.conv2d. */
    private TorchOps.PackedConv packedFor(NDArray x) {
        TorchOps.PackedConv p = packed;
        if (p != null || noPacking) {
            return p == null || x.getDevice().isGpu() || x.getDataType() != DataType.FLOAT32 ? null : p;
        }
        if (x.getDevice().isGpu() || x.getDataType() != DataType.FLOAT32 || x.getShape().dimension() != 4
                || !packingWanted() || !TorchOps.available()) {
            return null;
        }
        synchronized (this) {
            if (packed == null && !noPacking) {
                try {
                    TorchOps.PackedConv made = TorchOps.packConv(weight, bias, strideValue, paddingValue,
                            x.getShape().getShape());
                    if (made == null) {
                        noPacking = true;
                    } else {
                        // freed with the weights (the weights' manager may be capped: this attach is allowed)
                        weight.getManager().attachUncappedInternal("packed-conv-" + java.util.UUID.randomUUID(),
                                made);
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
            return packed;
        }
    }

    /**
     * {@code diffusers4j.conv-prepack}: {@code auto} (the default) packs weights that are views of a memory-mapped
     * checkpoint, whose pages the packed copy replaces (no extra memory); {@code true} packs every float32 CPU
     * convolution (weights in ordinary memory, e.g. cast from a float16 checkpoint or built in memory, are then
     * held twice: +2.4 GB for SD-1.5); {@code false} never packs.
     */
    private boolean packingWanted() {
        String mode = System.getProperty("diffusers4j.conv-prepack", "auto");
        return switch (mode) {
            case "true" -> true;
            case "false" -> false;
            default -> MappedWeights.isMapped(weight);
        };
    }

    /** Whether the calls so far run the packed convolution (tests). */
    boolean isPacked() {
        return packed != null;
    }

    public long outChannels() {
        return weight.getShape().get(0);
    }
}

// torch.nn.GroupNorm: DJL has none, so LayerNorm over (N, G, C/G*H*W) then the per-channel affine.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.WeightScope;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Group normalisation of {@code [N, C, ...]} with {@code groups} groups and affine weight/bias of size C.
 *
 * <p>DJL's layer norm needs a scale and shift as long as the normalised axis ({@code C/G * H * W}); those unit
 * constants come from one buffer per weights manager and dtype, shared by all group norms of a model, grown to the
 * largest group size seen and sliced per call (the slices are closed right after use), so repeated forwards of any
 * sizes add nothing to the weights' manager once the largest size has been seen.
 */
public final class GroupNorm {
    private final int groups;
    private final long channels;
    private final float eps;
    private final Units units;
    private final NDArray[] weightViews;
    private final NDArray[] biasViews;

    public GroupNorm(int groups, long channels, double eps, NDArray weight, NDArray bias) {
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: channels " + channels + " not divisible by groups "
                    + groups);
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = (float) eps;
        this.units = Units.of(weight.getManager());
        // per-channel views [1, C, 1, ...] for inputs of rank 2..5, made now: a reshape belongs to the weight's
        // manager, so doing it per call would leak a handle into it every forward
        this.weightViews = new NDArray[6];
        this.biasViews = new NDArray[6];
        for (int rank = 2; rank <= 5; rank++) {
            long[] affine = new long[rank];
            Arrays.fill(affine, 1);
            affine[1] = channels;
            weightViews[rank] = weight.reshape(new Shape(affine));
            biasViews[rank] = bias.reshape(new Shape(affine));
        }
    }

    public static GroupNorm load(WeightScope scope, int groups, long channels, double eps) {
        return new GroupNorm(groups, channels, eps, scope.get("weight", channels), scope.get("bias", channels));
    }

    /** Normalises {@code x} ({@code [N, C, ...]}); the result is in the manager of {@code x}. */
    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        NDArray out = compute(x);
        OpProfiler.stop(OpProfiler.OpClass.GROUP_NORM, t0, 0, out);
        return out;
    }

    private NDArray compute(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() < 2 || shape.dimension() > 5 || shape.get(1) != channels) {
            throw new IllegalArgumentException("GroupNorm(" + groups + ", " + channels + "): input shape " + shape
                    + " must be [N, " + channels + ", ...] of rank 2 to 5");
        }
        long n = shape.get(0);
        long groupSize = shape.size() / (n * groups);
        NDArray grouped = x.reshape(n, groups, groupSize);
        NDArray ln;
        NDArray[] unit = units.slices(groupSize, x.getDataType());
        try {
            ln = ai.djl.nn.norm.LayerNorm.layerNorm(grouped, new Shape(groupSize), unit[0], unit[1], eps)
                    .singletonOrThrow();
        } finally {
            unit[0].close();
            unit[1].close();
        }
        grouped.close();
        NDArray normed = ln.reshape(shape);
        ln.close();
        int rank = shape.dimension();
        return normed.muli(weightViews[rank]).addi(biasViews[rank]);
    }

    /** The shared ones/zeros buffers of one weights manager. */
    private static final class Units {
        private static final Map<NDManager, Units> BY_MANAGER = new WeakHashMap<>();

        private final NDManager manager;
        private final Map<DataType, NDArray[]> buffers = new EnumMap<>(DataType.class);

        private Units(NDManager manager) {
            this.manager = manager;
        }

        static synchronized Units of(NDManager weights) {
            // the value references its key through the sub-manager's parent, so closed managers are purged here
            BY_MANAGER.keySet().removeIf(m -> !m.isOpen());
            return BY_MANAGER.computeIfAbsent(weights, w -> new Units(w.newSubManager()));
        }

        /** Views of the first {@code size} ones and zeros; the caller closes them. */
        synchronized NDArray[] slices(long size, DataType dtype) {
            NDArray[] buf = buffers.get(dtype);
            if (buf == null || buf[0].getShape().get(0) < size) {
                if (buf != null) {
                    // slices handed out earlier keep their storage alive on their own
                    buf[0].close();
                    buf[1].close();
                }
                buf = new NDArray[] {manager.ones(new Shape(size), dtype), manager.zeros(new Shape(size), dtype)};
                buffers.put(dtype, buf);
            }
            NDIndex first = new NDIndex("0:{}", size);
            return new NDArray[] {buf[0].get(first), buf[1].get(first)};
        }
    }
}

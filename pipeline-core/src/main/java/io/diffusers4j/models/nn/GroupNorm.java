// torch.nn.GroupNorm: DJL has none, so LayerNorm over (N, G, C/G*H*W) then the per-channel affine.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.WeightScope;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Group normalisation of {@code [N, C, ...]} with {@code groups} groups and affine weight/bias of size C. */
public final class GroupNorm {
    private final int groups;
    private final long channels;
    private final float eps;
    private final NDArray weight;
    private final NDArray bias;
    /** Unit scale / zero shift for the inner layer norm, one pair per group size (they depend on H*W). */
    private final Map<String, NDArray[]> identity = new ConcurrentHashMap<>();
    /**
     * Where those constants live: a sub-manager of the weights' manager, made at construction, so that they are
     * freed with the weights and can be created even after the weights' manager was capped.
     */
    private final NDManager cache;
    private final NDArray[] weightViews;
    private final NDArray[] biasViews;

    public GroupNorm(int groups, long channels, double eps, NDArray weight, NDArray bias) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: channels " + channels + " not divisible by groups " + groups);
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = (float) eps;
        this.weight = weight;
        this.bias = bias;
        this.cache = weight.getManager().newSubManager();
        // per-channel views [1, C, 1, ...] for inputs of rank 2..5, made now: a reshape belongs to the weight's
        // manager, so doing it per call would leak a handle into it every forward
        this.weightViews = new NDArray[6];
        this.biasViews = new NDArray[6];
        for (int rank = 2; rank <= 5; rank++) {
            long[] affine = new long[rank];
            java.util.Arrays.fill(affine, 1);
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
        Shape shape = x.getShape();
        if (shape.dimension() < 2 || shape.dimension() > 5 || shape.get(1) != channels) {
            throw new IllegalArgumentException("GroupNorm(" + groups + ", " + channels + "): input shape " + shape
                    + " must be [N, " + channels + ", ...] of rank 2 to 5");
        }
        long n = shape.get(0);
        long groupSize = shape.size() / (n * groups);
        NDArray[] unit = identity.computeIfAbsent(x.getDevice() + "/" + x.getDataType() + "/" + groupSize,
                k -> unitAffine(cache, groupSize, x.getDataType()));
        NDArray grouped = x.reshape(n, groups, groupSize);
        NDArray ln = ai.djl.nn.norm.LayerNorm.layerNorm(grouped, new Shape(groupSize), unit[0], unit[1], eps)
                .singletonOrThrow();
        grouped.close();
        NDArray normed = ln.reshape(shape);
        ln.close();
        int rank = shape.dimension();
        return normed.muli(weightViews[rank]).addi(biasViews[rank]);
    }

    private static NDArray[] unitAffine(NDManager manager, long size, DataType dtype) {
        return new NDArray[] {manager.ones(new Shape(size), dtype), manager.zeros(new Shape(size), dtype)};
    }
}

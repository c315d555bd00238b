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

    public GroupNorm(int groups, long channels, double eps, NDArray weight, NDArray bias) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: channels " + channels + " not divisible by groups " + groups);
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = (float) eps;
        this.weight = weight;
        this.bias = bias;
    }

    public static GroupNorm load(WeightScope scope, int groups, long channels, double eps) {
        return new GroupNorm(groups, channels, eps, scope.get("weight", channels), scope.get("bias", channels));
    }

    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        long n = shape.get(0);
        long groupSize = shape.size() / (n * groups);
        NDArray[] unit = identity.computeIfAbsent(x.getDevice() + "/" + x.getDataType() + "/" + groupSize,
                k -> unitAffine(weight.getManager(), groupSize, x.getDataType()));
        NDArray grouped = x.reshape(n, groups, groupSize);
        NDArray normed = ai.djl.nn.norm.LayerNorm.layerNorm(grouped, new Shape(groupSize), unit[0], unit[1], eps)
                .singletonOrThrow().reshape(shape);
        long[] affine = new long[shape.dimension()];
        java.util.Arrays.fill(affine, 1);
        affine[1] = channels;
        Shape affineShape = new Shape(affine);
        return normed.muli(weight.reshape(affineShape)).addi(bias.reshape(affineShape));
    }

    private static NDArray[] unitAffine(NDManager manager, long size, DataType dtype) {
        return new NDArray[] {manager.ones(new Shape(size), dtype), manager.zeros(new Shape(size), dtype)};
    }
}

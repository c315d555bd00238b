// Port of diffusers.models.embeddings.GaussianFourierProjection (Gaussian Fourier features of a noise level).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code [sin(2 pi x w), cos(2 pi x w)]} (or cos first with {@code flip_sin_to_cos}) for each input value x, where
 * {@code w} is the stored {@code weight} of {@code embeddingSize} random frequencies, and x is first replaced by
 * {@code log(x)} when {@code log} is set. Computed in float32 in diffusers' order: {@code ((x * w) * 2) * pi}.
 */
public final class GaussianFourierProjection {
    /** The weight as a {@code [1, embedding_size]} row, made once (a reshape lands in the weights' manager). */
    private final NDArray row;
    private final boolean log;
    private final boolean flipSinToCos;
    private final int embeddingSize;

    public GaussianFourierProjection(WeightScope scope, int embeddingSize, boolean log, boolean flipSinToCos) {
        ConfigChecks.positive("GaussianFourierProjection", "embedding_size", embeddingSize);
        this.row = scope.get("weight", embeddingSize).reshape(1, embeddingSize);
        this.log = log;
        this.flipSinToCos = flipSinToCos;
        this.embeddingSize = embeddingSize;
    }

    /** The output width: {@code 2 * embedding_size}. */
    public int outChannels() {
        return 2 * embeddingSize;
    }

    /** {@code x}: 1-D values (any numeric dtype); returns float32 {@code [N, 2 * embedding_size]} in x's manager. */
    public NDArray forward(NDArray x) {
        if (x.getShape().dimension() != 1) {
            throw new IllegalArgumentException("GaussianFourierProjection takes a 1-d array, got shape "
                    + x.getShape());
        }
        return ForwardScope.run(x.getManager(), sub -> {
            NDArray v = x.toType(DataType.FLOAT32, true);
            if (log) {
                v = v.log();
            }
            // float32 x times the weight: float32 whatever the weight's dtype, as torch promotes it
            NDArray proj = v.reshape(-1, 1).mul(row).toType(DataType.FLOAT32, false).muli(2f).muli((float) Math.PI);
            NDArray sin = proj.sin();
            NDArray cos = proj.cos();
            return flipSinToCos ? NDArrays.concat(new NDList(cos, sin), 1) : NDArrays.concat(new NDList(sin, cos), 1);
        }, x);
    }
}

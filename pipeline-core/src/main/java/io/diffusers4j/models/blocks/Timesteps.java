// Port of diffusers.models.embeddings.get_timestep_embedding and the Timesteps module.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Sinusoidal timestep embeddings, computed in float32 exactly as diffusers does: frequencies
 * {@code exp(-ln(max_period) * i / (half - downscale_freq_shift))} for {@code i < half}, then {@code [sin, cos]} of
 * {@code t * freq} ({@code [cos, sin]} when {@code flip_sin_to_cos}), zero-padded by one column for odd sizes.
 */
public final class Timesteps {
    private final int numChannels;
    private final boolean flipSinToCos;
    private final float scale;
    /** The frequencies, float32 {@code [1, half]}, made once with the same tensor ops as diffusers. */
    private final NDArray freqs;

    /** {@code manager} keeps the frequency table (the model's weights manager). */
    public Timesteps(NDManager manager, int numChannels, boolean flipSinToCos, double downscaleFreqShift) {
        this(manager, numChannels, flipSinToCos, downscaleFreqShift, 1.0, 10000);
    }

    public Timesteps(NDManager manager, int numChannels, boolean flipSinToCos, double downscaleFreqShift,
                     double scale, int maxPeriod) {
        if (numChannels < 2) {
            throw new IllegalArgumentException("Timesteps: embedding dimension must be >= 2, got " + numChannels);
        }
        this.numChannels = numChannels;
        this.flipSinToCos = flipSinToCos;
        this.scale = (float) scale;
        int half = numChannels / 2;
        try (NDManager tmp = manager.newSubManager()) {
            NDArray exponent = tmp.arange(0f, (float) half, 1f, DataType.FLOAT32).mul((float) -Math.log(maxPeriod));
            exponent = exponent.div((float) (half - downscaleFreqShift));
            NDArray f = exponent.exp().reshape(1, half);
            f.attach(manager);
            this.freqs = f;
        }
    }

    public int numChannels() {
        return numChannels;
    }

    /**
     * {@code timesteps}: 1-D, any numeric dtype (converted with {@code .float()}); returns float32
     * {@code [N, numChannels]} in the manager of {@code timesteps}.
     */
    public NDArray forward(NDArray timesteps) {
        if (timesteps.getShape().dimension() != 1) {
            throw new IllegalArgumentException("Timesteps should be a 1d-array, got shape " + timesteps.getShape());
        }
        long n = timesteps.getShape().get(0);
        // toType returns the array itself when it already is float32: that one must not be closed here
        NDArray t = timesteps.getDataType() == DataType.FLOAT32 ? timesteps : timesteps.toType(DataType.FLOAT32, false);
        try (NDArray column = t.reshape(n, 1); NDArray arg = column.mul(freqs)) {
            if (t != timesteps) {
                t.close();
            }
            if (scale != 1f) {
                arg.muli(scale);
            }
            try (NDArray sin = arg.sin(); NDArray cos = arg.cos()) {
                NDArray emb = flipSinToCos ? NDArrays.concat(new NDList(cos, sin), 1)
                        : NDArrays.concat(new NDList(sin, cos), 1);
                if (numChannels % 2 == 1) {
                    NDArray padded = emb.pad(new Shape(0, 1), 0);
                    emb.close();
                    emb = padded;
                }
                return emb;
            }
        }
    }
}

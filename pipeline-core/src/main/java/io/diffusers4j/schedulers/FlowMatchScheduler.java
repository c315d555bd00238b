// Shared part of diffusers 0.30.3's flow-matching schedulers (scheduling_flow_match_{euler,heun}_discrete.py).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Schedulers of rectified-flow models (SD3, FLUX): the sample moves along {@code x_sigma = sigma * noise + (1 - sigma)
 * * x_0}, sigma from 1 (noise) to 0, the model predicts the velocity {@code noise - x_0}, and
 * {@code timestep = sigma * num_train_timesteps}.
 *
 * <p>Tables, computed with diffusers' dtypes step by step:
 * <ul>
 *   <li>at construction (float32, torch): {@code sigmas = t / N} for {@code t = N, N-1, ..., 1}, shifted
 *       {@code shift * s / (1 + (shift - 1) * s)} unless the subclass shifts per call (dynamic shifting);
 *       {@code timesteps = sigmas * N}; {@link #sigmaMin()} and {@link #sigmaMax()} are the last and first of them
 *       (these training tables are what {@link #timesteps()} and {@link #sigmas()} hold until
 *       {@code setTimesteps});</li>
 *   <li>{@code set_timesteps(n)} (float64, numpy): {@code np.linspace(sigma_max * N, sigma_min * N, n) / N}, shifted
 *       again (diffusers shifts the already shifted ends), rounded to float32; {@code timesteps = sigmas * N} in
 *       float32; a terminal sigma 0 is appended.</li>
 * </ul>
 *
 * <p>Step index as in diffusers: the first {@code step} (or {@code scale_noise} in Heun) takes {@code begin_index}
 * when set ({@link #setBeginIndex}, img2img), else the position of its timestep in {@link #timesteps()} (the second
 * match when it repeats); every {@code step} then advances it by one whatever timestep it is given.
 * {@code set_timesteps} clears both. Timesteps are compared in float32, as torch compares a float32 table with a
 * Python number.
 *
 * <p>No {@code scale_model_input} (the sample is returned as it is), {@code init_noise_sigma} 1.0, no
 * {@code alphas_cumprod}, and no {@code add_noise}: the forward process is {@link #scaleNoise}.
 */
public abstract class FlowMatchScheduler<C extends FlowMatchConfig> extends BaseScheduler<C> {
    /** diffusers' {@code sigma_min} / {@code sigma_max}: the ends of the construction-time (training) sigmas. */
    private final float sigmaMin;
    private final float sigmaMax;
    /** The current float32 sigmas (after set_timesteps: one more than the timesteps, ending in 0). */
    protected float[] sigmas;

    /**
     * Builds the training tables; {@code staticShift}: apply the config's {@code shift} to them (all but the
     * dynamically shifted Euler).
     */
    protected FlowMatchScheduler(C config, boolean staticShift) {
        super(config);
        int train = config.numTrainTimesteps;
        float trainF = train;
        float shift = (float) config.shift;
        float shiftMinusOne = (float) (config.shift - 1.0);
        float[] s = new float[train];
        for (int i = 0; i < train; i++) {
            float sigma = (float) (train - i) / trainF; // np.linspace(1, N, N, dtype=float32)[::-1] / N
            if (staticShift) {
                sigma = shift * sigma / (1f + shiftMinusOne * sigma);
            }
            s[i] = sigma;
        }
        sigmas = s;
        timesteps = timestepsOf(s, train);
        sigmaMin = s[train - 1];
        sigmaMax = s[0];
    }

    /** diffusers' {@code sigma_min}: the smallest training sigma (after the static shift). */
    public double sigmaMin() {
        return sigmaMin;
    }

    /** diffusers' {@code sigma_max}: the largest training sigma (1.0). */
    public double sigmaMax() {
        return sigmaMax;
    }

    @Override
    public double[] sigmas() {
        return SchedulerMath.widen(sigmas);
    }

    /**
     * diffusers' {@code scale_noise(sample, timestep, noise)}, the flow-matching forward process used by img2img and
     * inpainting: {@code sigma * noise + (1 - sigma) * sample} with the sigma of each row's timestep. The result
     * belongs to {@code sample}'s manager.
     *
     * @param timesteps one timestep per batch row (or one for all rows), values of {@link #timesteps()}
     */
    public abstract NDArray scaleNoise(NDArray sample, double[] timesteps, NDArray noise);

    /** diffusers' flow-matching schedulers have no {@code add_noise}: refused, naming {@link #scaleNoise}. */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double[] ts) {
        throw new UnsupportedOperationException(className() + " has no add_noise (diffusers 0.30.3): its forward "
                + "process is scaleNoise(sample, timesteps, noise), diffusers' scale_noise");
    }

    // ---------------------------------------------------------------- set_timesteps helpers

    /** {@code np.linspace(sigma_max * N, sigma_min * N, n) / N} in float64. */
    protected double[] linspaceSigmas(int n) {
        double train = config.numTrainTimesteps;
        double[] s = SchedulerMath.npLinspace((double) sigmaMax * train, (double) sigmaMin * train, n);
        for (int i = 0; i < n; i++) {
            s[i] = s[i] / train;
        }
        return s;
    }

    /** The static shift in float64 (numpy): {@code shift * s / (1 + (shift - 1) * s)}. */
    protected double[] staticShift(double[] s) {
        double shift = config.shift;
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = shift * s[i] / (1 + (shift - 1) * s[i]);
        }
        return out;
    }

    /** {@code sigmas * num_train_timesteps} in float32 (torch), as doubles. */
    protected static double[] timestepsOf(float[] sigmas, int train) {
        float trainF = train;
        double[] t = new double[sigmas.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = sigmas[i] * trainF;
        }
        return t;
    }

    // ---------------------------------------------------------------- step index

    /** diffusers' {@code _init_step_index} when no step index is set yet. */
    protected void ensureStepIndex(double timestep) {
        if (stepIndex == null) {
            stepIndex = beginIndex == null ? indexOf(timestep) : beginIndex;
        }
    }

    /** diffusers' {@code index_for_timestep}, comparing in float32 (a missing timestep is an error). */
    protected int indexOf(double timestep) {
        return indexForTimestep((float) timestep, false);
    }

    /** Throws when the step index has run past the sigmas a step reads ({@code stepIndex + ahead}). */
    protected void checkStepIndex(int ahead) {
        if (stepIndex + ahead >= sigmas.length) {
            throw new IllegalStateException(className() + ": step called more often than there are timesteps "
                    + "(step index " + stepIndex + ", " + sigmas.length + " sigmas)");
        }
    }

    /**
     * {@code sigma * noise + (1 - sigma) * sample} per row ({@code rowSigmas}: one per row, or one for all), in the
     * sample's dtype. {@code oneMinusInSampleDtype}: {@code 1 - sigma} computed after sigma is cast to the sample's
     * dtype (Euler casts its sigma table first), else in float32 and then cast (Heun's float32 0-dim sigma); the same
     * for float32 samples.
     */
    protected static NDArray forwardProcess(NDArray sample, float[] rowSigmas, NDArray noise,
                                            boolean oneMinusInSampleDtype) {
        NDManager parent = sample.getManager();
        try (NDManager sub = parent.newSubManager()) {
            NDArray sigma = column(sub, rowSigmas, sample);
            NDArray oneMinus;
            if (oneMinusInSampleDtype) {
                oneMinus = sigma.neg().add(1f); // -s + 1 == 1 - s exactly
            } else {
                float[] complement = new float[rowSigmas.length];
                for (int i = 0; i < complement.length; i++) {
                    complement[i] = 1f - rowSigmas[i];
                }
                oneMinus = column(sub, complement, sample);
            }
            NDArray out = sigma.mul(noise).add(oneMinus.mul(sample));
            out.attach(parent);
            return out;
        }
    }

    /**
     * {@code x * s} for a 0-dim float32 torch tensor {@code s} (diffusers' sigma differences and sigmas): torch gives
     * the scalar {@code x}'s dtype first (a float16 model output is multiplied by the float16 value of {@code s}).
     */
    protected static NDArray timesScalar(NDArray x, float scalar, NDManager manager) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x.mul(scalar);
        }
        return x.mul(manager.create(scalar).toType(x.getDataType(), false));
    }
}

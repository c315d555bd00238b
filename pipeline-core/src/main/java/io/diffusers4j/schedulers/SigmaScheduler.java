// Shared part of diffusers' k-diffusion style schedulers (Euler, Euler ancestral, LMS, Heun): the sigma tables.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;

/**
 * Schedulers that scale the model input by {@code 1 / sqrt(sigma^2 + 1)} and keep diffusers' {@code step_index}:
 * the training sigma table ({@code ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5}, float32), its numpy float32
 * log, the current float32 {@code sigmas}, {@code init_noise_sigma} and the sigma form of {@code add_noise}.
 */
public abstract class SigmaScheduler<C extends SchedulerConfig> extends BaseScheduler<C> {
    /** Training sigmas, ascending in t (float32). */
    protected final float[] trainSigmas;
    /** {@code np.log(trainSigmas)} with numpy's float32 log. */
    protected final float[] logSigmas;
    /** The current sigmas (float32), one more than the timesteps (Heun: interleaved). */
    protected float[] sigmas;

    protected SigmaScheduler(C config, boolean rescaleZeroSnr) {
        super(config, rescaleZeroSnr);
        if (rescaleZeroSnr) {
            alphasCumprod[alphasCumprod.length - 1] = 0x1p-24f;
        }
        trainSigmas = SchedulerMath.sigmasFromAlphas(alphasCumprod);
        logSigmas = SchedulerMath.npLogF32(trainSigmas);
    }

    @Override
    public double[] sigmas() {
        return sigmas == null ? null : SchedulerMath.widen(sigmas);
    }

    @Override
    public double initNoiseSigma() {
        if (sigmas == null) {
            throw new IllegalStateException(className() + ": call setTimesteps before initNoiseSigma");
        }
        float max = SchedulerMath.max(sigmas);
        if (config.timestepSpacing.equals("linspace") || config.timestepSpacing.equals("trailing")) {
            return max;
        }
        return SchedulerMath.sqrtF(max * max + 1f);
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        requireTimesteps();
        if (stepIndex == null) {
            initStepIndex(timestep, false);
        }
        float sigma = sigmas[stepIndex];
        return sample.div(SchedulerMath.sqrtF(sigma * sigma + 1f));
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double[] ts) {
        requireTimesteps();
        checkBatch(original, ts);
        int[] idx = addNoiseIndices(ts, false);
        float[] s = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            s[i] = sigmas[idx[i]];
        }
        try (NDManager sub = original.getManager().newSubManager()) {
            NDArray scaled = column(sub, s, noise).mul(noise);
            return original.add(scaled);
        }
    }

    /** Float32 timesteps of the configured spacing (diffusers' k-diffusion schedulers). */
    protected double[] spacedTimestepsF32(int n) {
        return SchedulerMath.toF32(spacedTimesteps(n, false));
    }

    /** {@code np.interp(timesteps, arange(len(sigmas)), sigmas)}. */
    protected double[] interpSigmas(double[] ts) {
        return SchedulerMath.npInterp(ts, trainSigmas);
    }

    /** {@code [_sigma_to_t(s, log_sigmas) for s in sigmas]}. */
    protected double[] sigmasToT(double[] s) {
        double[] t = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            t[i] = SchedulerMath.sigmaToT(s[i], logSigmas);
        }
        return t;
    }

    /**
     * diffusers' {@code _convert_to_karras}: {@code sigma_min}/{@code sigma_max} come from the config when it has
     * them (typed, or kept from another scheduler's config, like diffusers' {@code hasattr(self.config, ...)}),
     * else from the interpolated sigmas.
     */
    protected double[] karras(double[] inSigmas, int n, boolean useConfigBounds) {
        Double min = useConfigBounds ? configNumber("sigma_min") : null;
        Double max = useConfigBounds ? configNumber("sigma_max") : null;
        double sigmaMin = min != null ? min : inSigmas[inSigmas.length - 1];
        double sigmaMax = max != null ? max : inSigmas[0];
        return SchedulerMath.karras(sigmaMin, sigmaMax, n);
    }

    /** A numeric config value (typed field or kept extra key), or null. */
    protected Double configNumber(String key) {
        var field = SchedulerConfig.fields(config.getClass()).get(key);
        try {
            if (field != null) {
                Object v = field.get(config);
                return v == null ? null : ((Number) v).doubleValue();
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        JsonElement e = config.extraKeys().get(key);
        return e == null || e.isJsonNull() || !e.isJsonPrimitive() ? null : e.getAsDouble();
    }

    /** Appends {@code last} and rounds every sigma to float32. */
    protected static float[] withFinal(double[] s, double last) {
        float[] out = new float[s.length + 1];
        for (int i = 0; i < s.length; i++) {
            out[i] = (float) s[i];
        }
        out[s.length] = (float) last;
        return out;
    }

    @Override
    protected void resetIndex() {
        super.resetIndex();
    }
}

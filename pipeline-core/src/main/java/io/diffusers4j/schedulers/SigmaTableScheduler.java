// Shared part of diffusers' sigma-based schedulers (k-diffusion and multistep): training sigma tables, Karras sigmas.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonElement;

import java.util.Arrays;

/**
 * Schedulers that work on diffusers' sigma table ({@link SigmaScheduler}: Euler, Euler ancestral, LMS, Heun;
 * {@link MultistepScheduler}: DPM-Solver, UniPC): the training sigmas
 * {@code ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5} (float32), their numpy float32 log, the current float32
 * {@code sigmas}, and the conversions between timesteps and sigmas these schedulers share.
 */
public abstract class SigmaTableScheduler<C extends SchedulerConfig> extends BaseScheduler<C> {
    /** Training sigmas, ascending in t (float32). */
    protected final float[] trainSigmas;
    /** {@code np.log(trainSigmas)} with numpy's float32 log. */
    protected final float[] logSigmas;
    /** The current sigmas (float32), one more than the timesteps (Heun: interleaved). */
    protected float[] sigmas;

    protected SigmaTableScheduler(C config, boolean rescaleZeroSnr) {
        super(config, rescaleZeroSnr);
        if (rescaleZeroSnr) {
            // diffusers: alphas_cumprod[-1] = 2**-24, so the last sigma stays finite
            alphasCumprod[alphasCumprod.length - 1] = 0x1p-24f;
        }
        trainSigmas = SchedulerMath.sigmasFromAlphas(alphasCumprod);
        logSigmas = SchedulerMath.npLogF32(trainSigmas);
    }

    @Override
    public double[] sigmas() {
        return sigmas == null ? null : SchedulerMath.widen(sigmas);
    }

    /**
     * The sigma of each batch row's timestep in diffusers' {@code add_noise}: looked up with
     * {@code index_for_timestep} (a missing timestep: the last index if {@code lastIfMissing}, else an error), or,
     * once a begin index is set (img2img), the current step index, else the begin index.
     */
    protected float[] addNoiseSigmas(NDArray original, double[] ts, boolean lastIfMissing) {
        requireTimesteps();
        checkBatch(original, ts);
        float[] s = new float[ts.length];
        for (int i = 0; i < ts.length; i++) {
            int idx;
            if (beginIndex == null) {
                idx = indexForTimestep(ts[i], lastIfMissing);
            } else if (stepIndex != null) {
                idx = stepIndex;
            } else {
                idx = beginIndex;
            }
            s[i] = sigmas[idx];
        }
        return s;
    }

    /** {@code np.interp(timesteps, arange(len(sigmas)), sigmas)}. */
    protected double[] interpSigmas(double[] ts) {
        return SchedulerMath.npInterp(ts, trainSigmas);
    }

    /** {@code [_sigma_to_t(s, log_sigmas) for s in sigmas]} (float64, not rounded). */
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
     * else from the ends of {@code inSigmas} (descending: last is the smallest).
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

    /** diffusers' last sigma for {@code final_sigmas_type}: the smallest training sigma ("sigma_min") or 0 ("zero"). */
    protected double finalSigma(String finalSigmasType) {
        return finalSigmasType.equals("sigma_min") ? trainSigmas[0] : 0.0;
    }

    /** Appends {@code last} and rounds every sigma to float32. */
    protected static float[] withFinal(double[] s, double last) {
        float[] out = Arrays.copyOf(SchedulerMath.narrow(s), s.length + 1);
        out[s.length] = (float) last;
        return out;
    }
}

// Shared part of diffusers' DPMSolverMultistepScheduler and UniPCMultistepScheduler: sigma tables and kept outputs.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Multistep solvers on the data/noise-prediction ODE: float32 sigma tables, no input scaling, kept model outputs. */
public abstract class MultistepScheduler<C extends SchedulerConfig> extends BaseScheduler<C> {
    protected final float[] trainSigmas;
    protected final float[] logSigmas;
    protected float[] sigmas;
    protected NDArray[] modelOutputs;
    protected int lowerOrderNums;

    protected MultistepScheduler(C config, boolean rescaleZeroSnr) {
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

    /** diffusers' {@code _sigma_to_alpha_sigma_t} in float32: {alpha_t, sigma_t}. */
    protected static float[] alphaSigma(float sigma) {
        float alpha = 1f / SchedulerMath.sqrtF(sigma * sigma + 1f);
        return new float[] {alpha, sigma * alpha};
    }

    /** {@code log(alpha_t) - log(sigma_t)} in float32. */
    protected static float lambda(float[] as) {
        return SchedulerMath.logF(as[0]) - SchedulerMath.logF(as[1]);
    }

    /** Shifts the kept model outputs left and stores {@code x} (a kept copy) last. */
    protected void pushModelOutput(NDArray x) {
        release(modelOutputs[0]);
        for (int i = 0; i < modelOutputs.length - 1; i++) {
            modelOutputs[i] = modelOutputs[i + 1];
        }
        modelOutputs[modelOutputs.length - 1] = keep(x);
    }

    /** Karras sigmas and rounded timesteps as DPM-Solver/UniPC compute them. */
    protected double[][] karrasSchedule(int n) {
        double[] flipped = new double[trainSigmas.length];
        for (int i = 0; i < flipped.length; i++) {
            flipped[i] = trainSigmas[trainSigmas.length - 1 - i];
        }
        Double min = configNumber("sigma_min");
        Double max = configNumber("sigma_max");
        double[] s = SchedulerMath.karras(min != null ? min : flipped[flipped.length - 1],
                max != null ? max : flipped[0], n);
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = Math.rint(SchedulerMath.sigmaToT(s[i], logSigmas));
        }
        return new double[][] {s, t};
    }

    private Double configNumber(String key) {
        var e = config.extraKeys().get(key);
        var f = SchedulerConfig.fields(config.getClass()).get(key);
        try {
            if (f != null) {
                Object v = f.get(config);
                return v == null ? null : ((Number) v).doubleValue();
            }
        } catch (IllegalAccessException ex) {
            throw new IllegalStateException(ex);
        }
        return e == null || e.isJsonNull() || !e.isJsonPrimitive() ? null : e.getAsDouble();
    }

    /** Appends {@code last} and rounds to float32. */
    protected static float[] withFinal(double[] s, double last) {
        float[] out = new float[s.length + 1];
        for (int i = 0; i < s.length; i++) {
            out[i] = (float) s[i];
        }
        out[s.length] = (float) last;
        return out;
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double[] ts) {
        requireTimesteps();
        checkBatch(original, ts);
        int[] idx = addNoiseIndices(ts, true);
        float[] a = new float[idx.length];
        float[] s = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            float[] as = alphaSigma(sigmas[idx[i]]);
            a[i] = as[0];
            s[i] = as[1];
        }
        NDManager parent = original.getManager();
        try (NDManager sub = parent.newSubManager()) {
            NDArray out = column(sub, a, original).mul(original).add(column(sub, s, original).mul(noise));
            out.attach(parent);
            return out;
        }
    }

    /** Step-state reset done by set_timesteps. */
    protected void resetMultistep(int order) {
        resetState();
        modelOutputs = new NDArray[order];
        lowerOrderNums = 0;
        resetIndex();
    }

    @Override
    public void close() {
        if (modelOutputs != null) {
            java.util.Arrays.fill(modelOutputs, null);
        }
        super.close();
    }
}

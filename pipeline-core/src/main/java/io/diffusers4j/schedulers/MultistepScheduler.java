// Shared part of diffusers' DPMSolverMultistepScheduler and UniPCMultistepScheduler: kept outputs, alpha/sigma forms.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;

import java.util.Arrays;

/** Multistep solvers on the data/noise-prediction ODE: float32 sigma tables, no input scaling, kept model outputs. */
public abstract class MultistepScheduler<C extends SchedulerConfig> extends SigmaTableScheduler<C> {
    protected NDArray[] modelOutputs;
    protected int lowerOrderNums;

    protected MultistepScheduler(C config, boolean rescaleZeroSnr) {
        super(config, rescaleZeroSnr);
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

    /**
     * diffusers' {@code model_outputs} shift: drops the oldest kept output, stores a kept copy of {@code x} last,
     * and returns the new list with {@code x} itself last (the step goes on computing with the tensor in its scope).
     */
    protected NDArray[] pushModelOutput(NDArray x) {
        int k = modelOutputs.length;
        NDArray[] outs = new NDArray[k];
        release(modelOutputs[0]);
        for (int i = 0; i < k - 1; i++) {
            modelOutputs[i] = modelOutputs[i + 1];
            outs[i] = modelOutputs[i];
        }
        outs[k - 1] = x;
        modelOutputs[k - 1] = keep(x);
        return outs;
    }

    /** Karras sigmas and rounded timesteps as DPM-Solver/UniPC compute them (bounds from the config if set). */
    protected double[][] karrasSchedule(int n) {
        double[] descending = SchedulerMath.reverse(SchedulerMath.widen(trainSigmas));
        double[] s = karras(descending, n, true);
        return new double[][] {s, roundedSigmasToT(s)};
    }

    /** {@code np.array([_sigma_to_t(s, log_sigmas) for s in sigmas]).round()}. */
    protected double[] roundedSigmasToT(double[] s) {
        double[] t = sigmasToT(s);
        for (int i = 0; i < t.length; i++) {
            t[i] = Math.rint(t[i]);
        }
        return t;
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double[] ts) {
        float[] sigma = addNoiseSigmas(original, ts, true);
        float[] a = new float[sigma.length];
        float[] s = new float[sigma.length];
        for (int i = 0; i < sigma.length; i++) {
            float[] as = alphaSigma(sigma[i]);
            a[i] = as[0];
            s[i] = as[1];
        }
        return scaledSum(original, a, noise, s);
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
            Arrays.fill(modelOutputs, null);
        }
        super.close();
    }
}

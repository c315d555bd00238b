// Port of diffusers.schedulers.scheduling_unipc_multistep.UniPCMultistepScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * UniPC (Zhao et al. 2023): a multistep predictor (UniP) with a corrector (UniC) applied to the incoming sample,
 * B(h) variants bh1/bh2, data ({@code predict_x0}) or noise prediction. {@code solver_p} is not supported.
 */
public class UniPCMultistepScheduler extends MultistepScheduler<UniPCMultistepScheduler.Config> {

    /** UniPCMultistepScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        /** Highest {@code solver_order} (diffusers recommends 2 or 3): the scheduler keeps that many past outputs. */
        public static final int MAX_SOLVER_ORDER = 16;
        public int solverOrder = 2;
        public boolean thresholding = false;
        public double dynamicThresholdingRatio = 0.995;
        public double sampleMaxValue = 1.0;
        public boolean predictX0 = true;
        public String solverType = "bh2";
        public boolean lowerOrderFinal = true;
        public List<Integer> disableCorrector = new ArrayList<>();
        public Object solverP = null;
        public Boolean useKarrasSigmas = false;
        public String finalSigmasType = "zero";
        public boolean rescaleBetasZeroSnr = false;

        public Config() {
            timestepSpacing = "linspace";
        }

        @Override
        public void validate() {
            super.validate();
            if (solverOrder < 1 || solverOrder > MAX_SOLVER_ORDER) {
                throw invalid("key 'solver_order' is %d, outside [1, %d]", solverOrder, MAX_SOLVER_ORDER);
            }
            oneOf("solver_type", solverType, List.of("bh1", "bh2", "midpoint", "heun", "logrho"));
            oneOf("final_sigmas_type", finalSigmasType, List.of("zero", "sigma_min"));
            if (solverP != null) {
                throw invalid("solver_p is not supported (got %s)", solverP);
            }
        }

        @Override
        public String defaultClassName() {
            return "UniPCMultistepScheduler";
        }
    }

    private NDArray lastSample;
    private int thisOrder;

    public UniPCMultistepScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
        if (List.of("midpoint", "heun", "logrho").contains(config.solverType)) {
            config.solverType = "bh2"; // diffusers rewrites the registered config
        }
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        double[] ts = multistepTimesteps(n, config.numTrainTimesteps);
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            double[][] k = karrasSchedule(n);
            ts = k[1];
            double[] s = k[0];
            sigmas = withFinal(s, config.finalSigmasType.equals("sigma_min") ? s[s.length - 1] : 0.0);
        } else {
            sigmas = withFinal(interpSigmas(ts), finalSigma(config.finalSigmasType));
        }
        timesteps = ts;
        numInferenceSteps = ts.length;
        resetMultistep(config.solverOrder);
        lastSample = null;
    }

    private NDArray convertModelOutput(NDArray modelOutput, NDArray sample) {
        float[] as = alphaSigma(sigmas[stepIndex]);
        float alphaT = as[0];
        float sigmaT = as[1];
        if (config.predictX0) {
            NDArray x0 = predictOriginal(modelOutput, sample, alphaT, sigmaT);
            return config.thresholding ? thresholdSample(x0, config.dynamicThresholdingRatio, config.sampleMaxValue)
                    : x0;
        }
        return predictEpsilon(modelOutput, sample, alphaT, sigmaT); // no thresholding here (as diffusers)
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        ensureStepIndex(timestep, true);
        boolean useCorrector = stepIndex > 0 && !config.disableCorrector.contains(stepIndex - 1)
                && lastSample != null;
        try (StepScope scope = openStep(sample, modelOutput, Arrays.asList(modelOutputs), lastSample)) {
            NDArray converted = convertModelOutput(modelOutput, sample);
            NDArray x = sample;
            if (useCorrector) {
                x = corrector(converted, lastSample, thisOrder);
            }
            NDArray[] outs = pushModelOutput(converted); // diffusers' timestep_list is never read: not kept
            int order = config.lowerOrderFinal ? Math.min(config.solverOrder, timesteps.length - stepIndex)
                    : config.solverOrder;
            thisOrder = Math.min(order, lowerOrderNums + 1);
            release(lastSample);
            lastSample = keep(x);
            NDArray prev = predictor(outs, x, thisOrder);
            if (lowerOrderNums < config.solverOrder) {
                lowerOrderNums++;
            }
            stepIndex++;
            return scope.output(prev, null);
        }
    }

    /**
     * What UniP ({@code multistep_uni_p_bh_update}) and UniC ({@code multistep_uni_c_bh_update}) share: the update
     * from sigma index {@code target - 1} to {@code target} with the newest {@code order} of {@code outputs} (last
     * is the newest): alpha/sigma at both ends, the rks and D1s, and the B(h) coefficients.
     */
    private final class BhUpdate {
        final float alphaT;
        final float sigmaT;
        final float[] s0;
        final NDArray m0;
        final float[] rks;
        final List<NDArray> d1s = new ArrayList<>();
        final float hPhi1;
        final float bH;
        final float[] b;

        BhUpdate(NDArray[] outputs, int target, int order) {
            int k = outputs.length;
            m0 = outputs[k - 1];
            float[] t = alphaSigma(sigmas[target]);
            s0 = alphaSigma(sigmas[target - 1]);
            alphaT = t[0];
            sigmaT = t[1];
            float lambdaS0 = lambda(s0);
            float h = lambda(t) - lambdaS0;
            rks = new float[order];
            for (int i = 1; i < order; i++) {
                NDArray mi = outputs[k - 1 - i];
                float lambdaSi = lambda(alphaSigma(sigmas[target - 1 - i]));
                float rk = (lambdaSi - lambdaS0) / h;
                rks[i - 1] = rk;
                d1s.add(mi.sub(m0).div(rk));
            }
            rks[order - 1] = 1f;
            float hh = config.predictX0 ? -h : h;
            hPhi1 = SchedulerMath.expm1F(hh);
            float hPhiK = hPhi1 / hh - 1f;
            int factorial = 1;
            bH = config.solverType.equals("bh1") ? hh : SchedulerMath.expm1F(hh);
            b = new float[order];
            for (int i = 1; i <= order; i++) {
                b[i - 1] = hPhiK * (float) factorial / bH;
                factorial *= i + 1;
                hPhiK = hPhiK / hh - (float) (1.0 / factorial);
            }
        }

        /** The first-order part of the update, applied to {@code x}. */
        NDArray firstOrder(NDArray x) {
            return config.predictX0
                    ? x.mul(sigmaT / s0[1]).sub(m0.mul(alphaT * hPhi1))
                    : x.mul(alphaT / s0[0]).sub(m0.mul(sigmaT * hPhi1));
        }

        /** The factor of the higher-order residual ({@code alpha_t * B_h} or {@code sigma_t * B_h}). */
        float residualScale() {
            return (config.predictX0 ? alphaT : sigmaT) * bH;
        }
    }

    /** R[i][k] = rks[k] ** i (torch.pow in float32). */
    private static float[][] rMatrix(float[] rks, int order) {
        float[][] r = new float[order][rks.length];
        for (int i = 0; i < order; i++) {
            for (int k = 0; k < rks.length; k++) {
                float v = rks[k];
                r[i][k] = i == 0 ? 1f : i == 1 ? v : i == 2 ? v * v : i == 3 ? v * v * v : (float) Math.pow(v, i);
            }
        }
        return r;
    }

    /** UniP: the next sample from {@code x}, with {@code outs} (the model outputs including this step's). */
    private NDArray predictor(NDArray[] outs, NDArray x, int order) {
        BhUpdate u = new BhUpdate(outs, stepIndex + 1, order);
        NDArray xt = u.firstOrder(x);
        if (!u.d1s.isEmpty()) {
            float[] rhos;
            if (order == 2) {
                rhos = new float[] {0.5f};
            } else {
                float[][] r = rMatrix(u.rks, order);
                float[][] a = new float[order - 1][order - 1];
                for (int i = 0; i < order - 1; i++) {
                    System.arraycopy(r[i], 0, a[i], 0, order - 1);
                }
                float[] rhs = new float[order - 1];
                System.arraycopy(u.b, 0, rhs, 0, order - 1);
                rhos = solve(a, rhs);
            }
            xt = xt.sub(einsum(rhos, u.d1s, rhos.length).mul(u.residualScale()));
        }
        return xt;
    }

    /** UniC: corrects the sample of the previous step ({@code last}) with this step's converted output. */
    private NDArray corrector(NDArray modelT, NDArray last, int order) {
        BhUpdate u = new BhUpdate(modelOutputs, stepIndex, order);
        float[] rhosC = order == 1 ? new float[] {0.5f} : solve(rMatrix(u.rks, order), u.b);
        NDArray xt = u.firstOrder(last);
        NDArray corr = modelT.sub(u.m0).mul(rhosC[rhosC.length - 1]);
        if (!u.d1s.isEmpty()) {
            corr = einsum(rhosC, u.d1s, rhosC.length - 1).add(corr);
        }
        return xt.sub(corr.mul(u.residualScale()));
    }

    /** {@code einsum("k,bkc...->bc...", rhos[:n], D1s)}. */
    private static NDArray einsum(float[] rhos, List<NDArray> d1s, int n) {
        NDArray acc = d1s.get(0).mul(rhos[0]);
        for (int i = 1; i < n; i++) {
            acc = acc.add(d1s.get(i).mul(rhos[i]));
        }
        return acc;
    }

    /** {@code torch.linalg.solve} for a small float32 system (LU with partial pivoting, as LAPACK sgesv). */
    static float[] solve(float[][] aIn, float[] bIn) {
        int n = bIn.length;
        float[][] a = new float[n][];
        for (int i = 0; i < n; i++) {
            a[i] = aIn[i].clone();
        }
        float[] b = bIn.clone();
        for (int col = 0; col < n; col++) {
            int p = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[p][col])) {
                    p = r;
                }
            }
            if (a[p][col] == 0f) {
                throw new IllegalStateException("UniPC: singular coefficient matrix");
            }
            float[] tmp = a[p];
            a[p] = a[col];
            a[col] = tmp;
            float tb = b[p];
            b[p] = b[col];
            b[col] = tb;
            float inv = 1f / a[col][col];
            for (int r = col + 1; r < n; r++) {
                a[r][col] *= inv;
                for (int c = col + 1; c < n; c++) {
                    a[r][c] -= a[r][col] * a[col][c];
                }
                b[r] -= a[r][col] * b[col];
            }
        }
        float[] x = new float[n];
        for (int r = n - 1; r >= 0; r--) {
            float v = b[r];
            for (int c = r + 1; c < n; c++) {
                v -= a[r][c] * x[c];
            }
            x[r] = v / a[r][r];
        }
        return x;
    }

    @Override
    public void close() {
        lastSample = null;
        super.close();
    }
}

// Port of diffusers.schedulers.scheduling_unipc_multistep.UniPCMultistepScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.TorchGenerator;

import java.nio.file.Path;
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
            if (solverOrder < 1) {
                throw invalid("solver_order must be >= 1, got %d", solverOrder);
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

    private double[] timestepList;
    private NDArray lastSample;
    private int thisOrder;

    public UniPCMultistepScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
        if (List.of("midpoint", "heun", "logrho").contains(config.solverType)) {
            config.solverType = "bh2"; // diffusers rewrites the registered config
        }
    }

    public static UniPCMultistepScheduler fromConfig(ConfigBase other) {
        return new UniPCMultistepScheduler(SchedulerConfig.convert(other, Config.class));
    }

    public static UniPCMultistepScheduler fromConfig(JsonObject json) {
        return new UniPCMultistepScheduler(SchedulerConfig.parse(json, Config.class, "<json>"));
    }

    public static UniPCMultistepScheduler fromConfig(Path file) {
        return new UniPCMultistepScheduler(
                SchedulerConfig.parse(ConfigBase.readJsonObject(file), Config.class, file.toString()));
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
        timestepList = new double[config.solverOrder];
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
                x = corrector(converted, lastSample, sample, thisOrder);
            }
            int k = modelOutputs.length;
            NDArray[] outs = new NDArray[k];
            for (int i = 0; i < k - 1; i++) {
                outs[i] = modelOutputs[i + 1];
                timestepList[i] = timestepList[i + 1];
            }
            outs[k - 1] = converted;
            timestepList[k - 1] = timestep;
            pushModelOutput(converted);
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

    /** The coefficients shared by UniP and UniC: {hh, h_phi_1, B_h, b[0..order-1]} and the rks. */
    private float[][] coefficients(float h, float[] rksIn, int order) {
        float hh = config.predictX0 ? -h : h;
        float hPhi1 = SchedulerMath.expm1F(hh);
        float hPhiK = hPhi1 / hh - 1f;
        int factorial = 1;
        float bH = config.solverType.equals("bh1") ? hh : SchedulerMath.expm1F(hh);
        float[] b = new float[order];
        for (int i = 1; i <= order; i++) {
            b[i - 1] = hPhiK * (float) factorial / bH;
            factorial *= i + 1;
            hPhiK = hPhiK / hh - (float) (1.0 / factorial);
        }
        return new float[][] {{hh, hPhi1, bH}, b};
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

    private NDArray predictor(NDArray[] outs, NDArray x, int order) {
        int k = outs.length;
        NDArray m0 = outs[k - 1];
        float[] t = alphaSigma(sigmas[stepIndex + 1]);
        float[] s0 = alphaSigma(sigmas[stepIndex]);
        float alphaT = t[0];
        float sigmaT = t[1];
        float lambdaS0 = lambda(s0);
        float h = lambda(t) - lambdaS0;
        float[] rks = new float[order];
        List<NDArray> d1s = new ArrayList<>();
        for (int i = 1; i < order; i++) {
            int si = stepIndex - i;
            NDArray mi = outs[k - 1 - i];
            float lambdaSi = lambda(alphaSigma(sigmas[si]));
            float rk = (lambdaSi - lambdaS0) / h;
            rks[i - 1] = rk;
            d1s.add(mi.sub(m0).div(rk));
        }
        rks[order - 1] = 1f;
        float[][] c = coefficients(h, rks, order);
        float hPhi1 = c[0][1];
        float bH = c[0][2];
        float[] b = c[1];
        NDArray xt = config.predictX0
                ? x.mul(sigmaT / s0[1]).sub(m0.mul(alphaT * hPhi1))
                : x.mul(alphaT / s0[0]).sub(m0.mul(sigmaT * hPhi1));
        if (!d1s.isEmpty()) {
            float[] rhos;
            if (order == 2) {
                rhos = new float[] {0.5f};
            } else {
                float[][] r = rMatrix(rks, order);
                float[][] a = new float[order - 1][order - 1];
                for (int i = 0; i < order - 1; i++) {
                    System.arraycopy(r[i], 0, a[i], 0, order - 1);
                }
                float[] rhs = new float[order - 1];
                System.arraycopy(b, 0, rhs, 0, order - 1);
                rhos = solve(a, rhs);
            }
            NDArray predRes = einsum(rhos, d1s, rhos.length);
            xt = xt.sub(predRes.mul((config.predictX0 ? alphaT : sigmaT) * bH));
        }
        return xt;
    }

    private NDArray corrector(NDArray modelT, NDArray last, NDArray thisSample, int order) {
        int k = modelOutputs.length;
        NDArray m0 = modelOutputs[k - 1];
        float[] t = alphaSigma(sigmas[stepIndex]);
        float[] s0 = alphaSigma(sigmas[stepIndex - 1]);
        float alphaT = t[0];
        float sigmaT = t[1];
        float lambdaS0 = lambda(s0);
        float h = lambda(t) - lambdaS0;
        float[] rks = new float[order];
        List<NDArray> d1s = new ArrayList<>();
        for (int i = 1; i < order; i++) {
            int si = stepIndex - (i + 1);
            NDArray mi = modelOutputs[k - 1 - i];
            float lambdaSi = lambda(alphaSigma(sigmas[si]));
            float rk = (lambdaSi - lambdaS0) / h;
            rks[i - 1] = rk;
            d1s.add(mi.sub(m0).div(rk));
        }
        rks[order - 1] = 1f;
        float[][] c = coefficients(h, rks, order);
        float hPhi1 = c[0][1];
        float bH = c[0][2];
        float[] b = c[1];
        float[] rhosC = order == 1 ? new float[] {0.5f} : solve(rMatrix(rks, order), b);
        NDArray xt = config.predictX0
                ? last.mul(sigmaT / s0[1]).sub(m0.mul(alphaT * hPhi1))
                : last.mul(alphaT / s0[0]).sub(m0.mul(sigmaT * hPhi1));
        NDArray d1t = modelT.sub(m0);
        NDArray corr = d1t.mul(rhosC[rhosC.length - 1]);
        if (!d1s.isEmpty()) {
            corr = einsum(rhosC, d1s, rhosC.length - 1).add(corr);
        }
        return xt.sub(corr.mul((config.predictX0 ? alphaT : sigmaT) * bH));
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

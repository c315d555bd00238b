// Port of diffusers.schedulers.scheduling_dpmsolver_multistep.DPMSolverMultistepScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.utils.TorchGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * DPM-Solver / DPM-Solver++ (Lu et al. 2022), multistep, orders 1-3, with the SDE variants (which draw one noise
 * tensor per step, before the update, like diffusers). Converted model outputs are kept across steps.
 */
public class DPMSolverMultistepScheduler extends MultistepScheduler<DPMSolverMultistepScheduler.Config> {
    private static final Logger LOG = LoggerFactory.getLogger(DPMSolverMultistepScheduler.class);

    /** DPMSolverMultistepScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public int solverOrder = 2;
        public boolean thresholding = false;
        public double dynamicThresholdingRatio = 0.995;
        public double sampleMaxValue = 1.0;
        public String algorithmType = "dpmsolver++";
        public String solverType = "midpoint";
        public boolean lowerOrderFinal = true;
        public boolean eulerAtFinal = false;
        public Boolean useKarrasSigmas = false;
        public Boolean useLuLambdas = false;
        public String finalSigmasType = "zero";
        public double lambdaMinClipped = Double.NEGATIVE_INFINITY;
        public String varianceType = null;
        public boolean rescaleBetasZeroSnr = false;

        public Config() {
            timestepSpacing = "linspace";
        }

        @Override
        public void validate() {
            super.validate();
            if (solverOrder < 1 || solverOrder > 3) {
                throw invalid("solver_order must be 1, 2 or 3, got %d", solverOrder);
            }
            oneOf("algorithm_type", algorithmType, List.of("dpmsolver", "dpmsolver++", "sde-dpmsolver",
                    "sde-dpmsolver++", "deis"));
            oneOf("solver_type", solverType, List.of("midpoint", "heun", "logrho", "bh1", "bh2"));
            oneOf("final_sigmas_type", finalSigmasType, List.of("zero", "sigma_min"));
            if (!algorithmType.equals("dpmsolver++") && !algorithmType.equals("sde-dpmsolver++")
                    && finalSigmasType.equals("zero")) {
                throw invalid("`final_sigmas_type` %s is not supported for `algorithm_type` %s. Please choose "
                        + "`sigma_min` instead.", finalSigmasType, algorithmType);
            }
            if (varianceType != null && !List.of("learned", "learned_range").contains(varianceType)) {
                throw invalid("variance_type '%s' is not supported; choose null, learned or learned_range",
                        varianceType);
            }
        }

        @Override
        public String defaultClassName() {
            return "DPMSolverMultistepScheduler";
        }
    }

    public DPMSolverMultistepScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
        // diffusers rewrites these aliases into the registered config
        if (config.algorithmType.equals("deis")) {
            LOG.debug("algorithm_type deis -> dpmsolver++ (as diffusers)");
            config.algorithmType = "dpmsolver++";
        }
        if (List.of("logrho", "bh1", "bh2").contains(config.solverType)) {
            LOG.debug("solver_type {} -> midpoint (as diffusers)", config.solverType);
            config.solverType = "midpoint";
        }
    }

    private boolean sde() {
        return config.algorithmType.startsWith("sde-");
    }

    private boolean plusPlus() {
        return config.algorithmType.endsWith("++");
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        // clipped_idx = searchsorted(flip(lambda_t), lambda_min_clipped)
        int clipped = 0;
        int len = alphasCumprod.length;
        for (int i = 0; i < len; i++) {
            float a = SchedulerMath.sqrtF(alphasCumprod[len - 1 - i]);
            float s = SchedulerMath.sqrtF(1f - alphasCumprod[len - 1 - i]);
            float lam = SchedulerMath.logF(a) - SchedulerMath.logF(s);
            if (lam < config.lambdaMinClipped) {
                clipped = i + 1;
            } else {
                break;
            }
        }
        int lastTimestep = config.numTrainTimesteps - clipped;
        double[] ts = multistepTimesteps(n, lastTimestep);
        double[] s;
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            double[][] k = karrasSchedule(n);
            s = k[0];
            ts = k[1];
        } else if (Boolean.TRUE.equals(config.useLuLambdas)) {
            double lmin = logSigmas[0];
            double lmax = logSigmas[len - 1];
            double[] ramp = SchedulerMath.npLinspace(0, 1, n);
            s = new double[n];
            for (int i = 0; i < n; i++) {
                double lam = lmax + ramp[i] * (lmin - lmax);
                s[i] = Math.exp(lam);
            }
            ts = roundedSigmasToT(s);
        } else {
            s = interpSigmas(ts);
        }
        applySchedule(ts, s);
    }

    /** The end of set_timesteps: the final sigma appended, {@code num_inference_steps = len(timesteps)}, reset. */
    private void applySchedule(double[] ts, double[] s) {
        sigmas = withFinal(s, finalSigma(config.finalSigmasType));
        timesteps = ts;
        numInferenceSteps = ts.length;
        resetMultistep(config.solverOrder);
    }

    @Override
    public boolean acceptsCustomTimesteps() {
        return true;
    }

    /**
     * diffusers' custom branch: int64 timesteps (not checked for order or range, and not clipped by
     * {@code lambda_min_clipped}), interpolated sigmas; refused with karras sigmas or Lu lambdas.
     */
    @Override
    protected void setCustomTimesteps(Integer n, double[] custom, double[] customSigmas) {
        checkOneOf(n, custom, "Must pass exactly one of `num_inference_steps` or `timesteps`.");
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            throw new IllegalArgumentException("Cannot use `timesteps` with `config.use_karras_sigmas = True`");
        }
        if (Boolean.TRUE.equals(config.useLuLambdas)) {
            throw new IllegalArgumentException("Cannot use `timesteps` with `config.use_lu_lambdas = True`");
        }
        double[] ts = int64(custom);
        applySchedule(ts, interpSigmas(ts));
    }

    private NDArray convertModelOutput(NDArray modelOutput, NDArray sample) {
        float[] as = alphaSigma(sigmas[stepIndex]);
        float alphaT = as[0];
        float sigmaT = as[1];
        NDArray mo = modelOutput;
        if (config.varianceType != null && config.predictionType.equals("epsilon")) {
            mo = modelOutput.get(":, :3");
        }
        // mo differs from modelOutput only for prediction_type epsilon
        if (plusPlus()) {
            NDArray x0 = predictOriginal(mo, sample, alphaT, sigmaT);
            return config.thresholding ? thresholdSample(x0, config.dynamicThresholdingRatio, config.sampleMaxValue)
                    : x0;
        }
        NDArray eps = predictEpsilon(mo, sample, alphaT, sigmaT);
        if (config.thresholding) {
            NDArray x0 = thresholdSample(originalFromEpsilon(eps, sample, alphaT, sigmaT),
                    config.dynamicThresholdingRatio, config.sampleMaxValue);
            eps = epsilonFromOriginal(x0, sample, alphaT, sigmaT);
        }
        return eps;
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        ensureStepIndex(timestep, true);
        int n = timesteps.length;
        boolean lowerOrderFinal = stepIndex == n - 1 && (config.eulerAtFinal
                || (config.lowerOrderFinal && n < 15) || config.finalSigmasType.equals("zero"));
        boolean lowerOrderSecond = stepIndex == n - 2 && config.lowerOrderFinal && n < 15;
        try (StepScope scope = openStep(sample, modelOutput, modelOutputs)) {
            NDArray converted = convertModelOutput(modelOutput, sample);
            NDArray[] outs = pushModelOutput(converted);
            NDArray x = sample.toType(DataType.FLOAT32, false);
            NDArray noise = sde() ? randn(scope.manager(), modelOutput.getShape(), generators, DataType.FLOAT32) : null;
            NDArray prev;
            if (config.solverOrder == 1 || lowerOrderNums < 1 || lowerOrderFinal) {
                prev = firstOrder(converted, x, noise);
            } else if (config.solverOrder == 2 || lowerOrderNums < 2 || lowerOrderSecond) {
                prev = secondOrder(outs, x, noise);
            } else {
                prev = thirdOrder(outs, x);
            }
            if (lowerOrderNums < config.solverOrder) {
                lowerOrderNums++;
            }
            prev = prev.toType(modelOutput.getDataType(), false);
            stepIndex++;
            return scope.output(prev, null);
        }
    }

    private NDArray firstOrder(NDArray m, NDArray sample, NDArray noise) {
        float[] t = alphaSigma(sigmas[stepIndex + 1]);
        float[] s = alphaSigma(sigmas[stepIndex]);
        float alphaT = t[0];
        float sigmaT = t[1];
        float alphaS = s[0];
        float sigmaS = s[1];
        float h = lambda(t) - lambda(s);
        switch (config.algorithmType) {
            case "dpmsolver++":
                return sample.mul(sigmaT / sigmaS).sub(m.mul(alphaT * (SchedulerMath.expF(-h) - 1f)));
            case "dpmsolver":
                return sample.mul(alphaT / alphaS).sub(m.mul(sigmaT * (SchedulerMath.expF(h) - 1f)));
            case "sde-dpmsolver++":
                return sample.mul(sigmaT / sigmaS * SchedulerMath.expF(-h))
                        .add(m.mul(alphaT * (1f - SchedulerMath.expF(-2f * h))))
                        .add(noise.mul(sigmaT * SchedulerMath.sqrtF(1f - SchedulerMath.expF(-2f * h))));
            default: // sde-dpmsolver
                return sample.mul(alphaT / alphaS)
                        .sub(m.mul(2f * (sigmaT * (SchedulerMath.expF(h) - 1f))))
                        .add(noise.mul(sigmaT * SchedulerMath.sqrtF(SchedulerMath.expF(2f * h) - 1f)));
        }
    }

    private NDArray secondOrder(NDArray[] outs, NDArray sample, NDArray noise) {
        float[] t = alphaSigma(sigmas[stepIndex + 1]);
        float[] s0 = alphaSigma(sigmas[stepIndex]);
        float[] s1 = alphaSigma(sigmas[stepIndex - 1]);
        float alphaT = t[0];
        float sigmaT = t[1];
        float lambdaT = lambda(t);
        float lambdaS0 = lambda(s0);
        float lambdaS1 = lambda(s1);
        NDArray m0 = outs[outs.length - 1];
        NDArray m1 = outs[outs.length - 2];
        float h = lambdaT - lambdaS0;
        float h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        NDArray d0 = m0;
        NDArray d1 = m0.sub(m1).mul(1f / r0);
        boolean midpoint = config.solverType.equals("midpoint");
        switch (config.algorithmType) {
            case "dpmsolver++": {
                float c = alphaT * (SchedulerMath.expF(-h) - 1f);
                NDArray x = sample.mul(sigmaT / s0[1]).sub(d0.mul(c));
                return midpoint ? x.sub(d1.mul(0.5f * c))
                        : x.add(d1.mul(alphaT * ((SchedulerMath.expF(-h) - 1f) / h + 1f)));
            }
            case "dpmsolver": {
                float c = sigmaT * (SchedulerMath.expF(h) - 1f);
                NDArray x = sample.mul(alphaT / s0[0]).sub(d0.mul(c));
                return midpoint ? x.sub(d1.mul(0.5f * c))
                        : x.sub(d1.mul(sigmaT * ((SchedulerMath.expF(h) - 1f) / h - 1f)));
            }
            case "sde-dpmsolver++": {
                float e = SchedulerMath.expF(-2f * h);
                float c = alphaT * (1f - e);
                NDArray x = sample.mul(sigmaT / s0[1] * SchedulerMath.expF(-h)).add(d0.mul(c));
                x = midpoint ? x.add(d1.mul(0.5f * c))
                        : x.add(d1.mul(alphaT * ((1f - e) / (-2f * h) + 1f)));
                return x.add(noise.mul(sigmaT * SchedulerMath.sqrtF(1f - SchedulerMath.expF(-2f * h))));
            }
            default: { // sde-dpmsolver
                float c = sigmaT * (SchedulerMath.expF(h) - 1f);
                NDArray x = sample.mul(alphaT / s0[0]).sub(d0.mul(2f * c));
                x = midpoint ? x.sub(d1.mul(c))
                        : x.sub(d1.mul(2f * (sigmaT * ((SchedulerMath.expF(h) - 1f) / h - 1f))));
                return x.add(noise.mul(sigmaT * SchedulerMath.sqrtF(SchedulerMath.expF(2f * h) - 1f)));
            }
        }
    }

    private NDArray thirdOrder(NDArray[] outs, NDArray sample) {
        if (sde()) {
            throw new IllegalStateException("DPMSolverMultistepScheduler: algorithm_type " + config.algorithmType
                    + " has no third-order update (diffusers fails here too); use solver_order <= 2");
        }
        float[] t = alphaSigma(sigmas[stepIndex + 1]);
        float[] s0 = alphaSigma(sigmas[stepIndex]);
        float[] s1 = alphaSigma(sigmas[stepIndex - 1]);
        float[] s2 = alphaSigma(sigmas[stepIndex - 2]);
        float alphaT = t[0];
        float sigmaT = t[1];
        float lambdaT = lambda(t);
        float lambdaS0 = lambda(s0);
        float lambdaS1 = lambda(s1);
        float lambdaS2 = lambda(s2);
        int k = outs.length;
        NDArray m0 = outs[k - 1];
        NDArray m1 = outs[k - 2];
        NDArray m2 = outs[k - 3];
        float h = lambdaT - lambdaS0;
        float h0 = lambdaS0 - lambdaS1;
        float h1 = lambdaS1 - lambdaS2;
        float r0 = h0 / h;
        float r1 = h1 / h;
        NDArray d10 = m0.sub(m1).mul(1f / r0);
        NDArray d11 = m1.sub(m2).mul(1f / r1);
        NDArray d1 = d10.add(d10.sub(d11).mul(r0 / (r0 + r1)));
        NDArray d2 = d10.sub(d11).mul(1f / (r0 + r1));
        if (config.algorithmType.equals("dpmsolver++")) {
            float em = SchedulerMath.expF(-h) - 1f;
            return sample.mul(sigmaT / s0[1]).sub(m0.mul(alphaT * em))
                    .add(d1.mul(alphaT * (em / h + 1f)))
                    .sub(d2.mul(alphaT * ((SchedulerMath.expF(-h) - 1f + h) / (h * h) - 0.5f)));
        }
        float ep = SchedulerMath.expF(h) - 1f;
        return sample.mul(alphaT / s0[0]).sub(m0.mul(sigmaT * ep))
                .sub(d1.mul(sigmaT * (ep / h - 1f)))
                .sub(d2.mul(sigmaT * ((SchedulerMath.expF(h) - 1f - h) / (h * h) - 0.5f)));
    }
}

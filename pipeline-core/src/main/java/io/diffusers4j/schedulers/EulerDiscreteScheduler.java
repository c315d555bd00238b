// Port of diffusers.schedulers.scheduling_euler_discrete.EulerDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.utils.TorchGenerator;

import java.util.Arrays;
import java.util.List;

/**
 * Euler sampler of Karras et al. (2022). Like diffusers, {@code step} draws one noise tensor from the generators
 * every step (it is only added when {@code s_churn > 0}, which this port keeps at diffusers' default 0).
 */
public class EulerDiscreteScheduler extends SigmaScheduler<EulerDiscreteScheduler.Config> {

    /** EulerDiscreteScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public String interpolationType = "linear";
        public Boolean useKarrasSigmas = false;
        public Double sigmaMin = null;
        public Double sigmaMax = null;
        public String timestepType = "discrete";
        public boolean rescaleBetasZeroSnr = false;
        public String finalSigmasType = "zero";

        public Config() {
            timestepSpacing = "linspace";
        }

        @Override
        protected List<String> predictionTypes() {
            return List.of("epsilon", "v_prediction", "sample", "original_sample");
        }

        @Override
        public void validate() {
            super.validate();
            oneOf("interpolation_type", interpolationType, List.of("linear", "log_linear"));
            oneOf("timestep_type", timestepType, List.of("discrete", "continuous"));
            oneOf("final_sigmas_type", finalSigmasType, List.of("zero", "sigma_min"));
        }

        @Override
        public String defaultClassName() {
            return "EulerDiscreteScheduler";
        }
    }

    public EulerDiscreteScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
    }

    private boolean continuousV() {
        return config.timestepType.equals("continuous") && config.predictionType.equals("v_prediction");
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        double[] ts = spacedTimestepsF32(n);
        double[] s = sigmasFor(ts, n);
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            s = karras(s, n, true);
            ts = sigmasToT(s);
        }
        applySchedule(n, ts, withFinal(s, finalSigma(config.finalSigmasType)));
    }

    /** The sigmas of {@code n} timesteps before karras: interpolated ("linear") or log-linear, which ignores them. */
    private double[] sigmasFor(double[] ts, int n) {
        if (config.interpolationType.equals("linear")) {
            return interpSigmas(ts);
        }
        // log_linear: torch.linspace(log(max), log(min), n + 1).exp()
        float[] lin = SchedulerMath.torchLinspace(SchedulerMath.npLogF32(trainSigmas[trainSigmas.length - 1]),
                SchedulerMath.npLogF32(trainSigmas[0]), n + 1);
        double[] s = new double[lin.length];
        for (int i = 0; i < lin.length; i++) {
            s[i] = SchedulerMath.expF(lin[i]);
        }
        return s;
    }

    /** The end of set_timesteps: sigmas as given, timesteps float32 (or {@code 0.25 * log(sigma)}), index reset. */
    private void applySchedule(int n, double[] ts, float[] s) {
        numInferenceSteps = n;
        sigmas = s;
        if (continuousV()) {
            ts = new double[sigmas.length - 1];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = 0.25f * SchedulerMath.logF(sigmas[i]);
            }
        } else {
            ts = SchedulerMath.toF32(ts);
        }
        timesteps = ts;
        resetIndex();
    }

    @Override
    public boolean acceptsCustomTimesteps() {
        return true;
    }

    @Override
    public boolean acceptsCustomSigmas() {
        return true;
    }

    /**
     * diffusers' custom branches: {@code timesteps} (float32) get interpolated sigmas and the configured final
     * sigma; {@code sigmas} (float32, the final sigma included) get {@code _sigma_to_t} timesteps.
     */
    @Override
    protected void setCustomTimesteps(Integer n, double[] custom, double[] customSigmas) {
        if (custom != null && customSigmas != null) {
            throw new IllegalArgumentException("Only one of `timesteps` or `sigmas` should be set.");
        }
        if (n == null && custom == null && customSigmas == null) {
            throw new IllegalArgumentException("Must pass exactly one of `num_inference_steps` or `timesteps` or "
                    + "`sigmas.");
        }
        if (n != null) {
            throw new IllegalArgumentException("Can only pass one of `num_inference_steps` or `timesteps` or "
                    + "`sigmas`.");
        }
        if (custom != null && Boolean.TRUE.equals(config.useKarrasSigmas)) {
            throw new IllegalArgumentException("Cannot set `timesteps` with `config.use_karras_sigmas = True`.");
        }
        if (custom != null && continuousV()) {
            throw new IllegalArgumentException("Cannot set `timesteps` with `config.timestep_type = 'continuous'` "
                    + "and `config.prediction_type = 'v_prediction'`.");
        }
        if (customSigmas != null) {
            if (customSigmas.length < 2) {
                throw new IllegalArgumentException("custom `sigmas` need at least two values (the last is the final "
                        + "sigma), got " + customSigmas.length);
            }
            float[] s = SchedulerMath.narrow(customSigmas);
            double[] ts = sigmasToT(SchedulerMath.widen(Arrays.copyOf(s, s.length - 1)));
            applySchedule(ts.length, ts, s);
        } else {
            if (custom.length == 0) {
                throw new IllegalArgumentException("custom `timesteps` must not be empty");
            }
            double[] ts = SchedulerMath.toF32(custom);
            applySchedule(ts.length, ts, withFinal(sigmasFor(ts, ts.length), finalSigma(config.finalSigmasType)));
        }
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        startStep(timestep);
        try (StepScope scope = openStep(sample, modelOutput)) {
            NDArray x = sample.toType(DataType.FLOAT32, false);
            float sigma = sigmas[stepIndex];
            // gamma = min(s_churn / (len(sigmas) - 1), 2 ** 0.5 - 1) with s_churn = 0 -> 0.0: drawn, unused
            randn(scope.manager(), modelOutput.getShape(), generators, modelOutput.getDataType());
            float sigmaHat = sigma * 1f;
            NDArray predOriginal = denoised(modelOutput, x, sigmaHat); // sigma_hat == sigma (diffusers uses both)
            NDArray derivative = x.sub(predOriginal).div(sigmaHat);
            float dt = sigmas[stepIndex + 1] - sigmaHat;
            NDArray prev = x.add(derivative.mul(dt)).toType(modelOutput.getDataType(), false);
            stepIndex++;
            return scope.output(prev, predOriginal);
        }
    }
}

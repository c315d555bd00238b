// Port of diffusers.schedulers.scheduling_euler_discrete.EulerDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.TorchGenerator;

import java.nio.file.Path;
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

    public static EulerDiscreteScheduler fromConfig(ConfigBase other) {
        return new EulerDiscreteScheduler(SchedulerConfig.convert(other, Config.class));
    }

    public static EulerDiscreteScheduler fromConfig(JsonObject json) {
        return new EulerDiscreteScheduler(SchedulerConfig.parse(json, Config.class, "<json>"));
    }

    public static EulerDiscreteScheduler fromConfig(Path file) {
        return new EulerDiscreteScheduler(
                SchedulerConfig.parse(ConfigBase.readJsonObject(file), Config.class, file.toString()));
    }

    private boolean continuousV() {
        return config.timestepType.equals("continuous") && config.predictionType.equals("v_prediction");
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        numInferenceSteps = n;
        double[] ts = spacedTimestepsF32(n);
        double[] s;
        if (config.interpolationType.equals("linear")) {
            s = interpSigmas(ts);
        } else { // log_linear: torch.linspace(log(max), log(min), n + 1).exp()
            float[] lin = SchedulerMath.torchLinspace(SchedulerMath.npLogF32(trainSigmas[trainSigmas.length - 1]),
                    SchedulerMath.npLogF32(trainSigmas[0]), n + 1);
            s = new double[lin.length];
            for (int i = 0; i < lin.length; i++) {
                s[i] = SchedulerMath.expF(lin[i]);
            }
        }
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            s = karras(s, n, true);
            ts = sigmasToT(s);
        }
        sigmas = withFinal(s, finalSigma(config.finalSigmasType));
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

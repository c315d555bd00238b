// Port of diffusers.schedulers.scheduling_ddpm.DDPMScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.Arrays;
import java.util.List;

/** Denoising diffusion probabilistic models (Ho et al. 2020): draws one noise tensor per step while {@code t > 0}. */
public class DDPMScheduler extends BaseScheduler<DDPMScheduler.Config> {

    /** DDPMScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public String varianceType = "fixed_small";
        public boolean clipSample = true;
        public boolean thresholding = false;
        public double dynamicThresholdingRatio = 0.995;
        public double clipSampleRange = 1.0;
        public double sampleMaxValue = 1.0;
        public boolean rescaleBetasZeroSnr = false;

        public Config() {
            timestepSpacing = "leading";
        }

        @Override
        protected List<String> betaSchedules() {
            return List.of("linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid");
        }

        @Override
        public void validate() {
            super.validate();
            oneOf("variance_type", varianceType, List.of("fixed_small", "fixed_small_log", "fixed_large",
                    "fixed_large_log", "learned", "learned_range"));
        }

        @Override
        public String defaultClassName() {
            return "DDPMScheduler";
        }
    }

    public DDPMScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
    }

    /** diffusers' {@code custom_timesteps}: the schedule came from {@code set_timesteps(timesteps=...)}. */
    private boolean customTimesteps;

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        numInferenceSteps = n;
        customTimesteps = false;
        timesteps = spacedTimesteps(n, true);
    }

    @Override
    public boolean acceptsCustomTimesteps() {
        return true;
    }

    @Override
    protected void setCustomTimesteps(Integer n, double[] custom, double[] customSigmas) {
        checkOneOf(n, custom);
        checkDescendingBelowTrain(custom);
        timesteps = int64(custom);
        customTimesteps = true;
        // diffusers leaves num_inference_steps as it was; previous_timestep does not read it for custom schedules
        numInferenceSteps = timesteps.length;
    }

    /** diffusers' {@code previous_timestep}: the next entry of a custom schedule (-1 after the last). */
    @Override
    protected int previousTimestep(int t) {
        if (!customTimesteps) {
            return super.previousTimestep(t);
        }
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                return i == timesteps.length - 1 ? -1 : (int) timesteps[i + 1];
            }
        }
        throw new IllegalArgumentException(className() + ": timestep " + t
                + " is not one of the custom timesteps " + Arrays.toString(timesteps));
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        requireTimesteps();
        int t = trainIndex(timestep);
        int prevT = previousTimestep(t);
        float alphaProdT = alphasCumprod[t];
        float alphaProdTPrev = prevT >= 0 ? alphasCumprod[prevT] : 1f;
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        float currentAlphaT = alphaProdT / alphaProdTPrev;
        float currentBetaT = 1f - currentAlphaT;
        try (StepScope scope = openStep(sample, modelOutput)) {
            NDArray mo = modelOutput;
            NDArray predictedVariance = null;
            long channels = sample.getShape().get(1);
            if (modelOutput.getShape().get(1) == channels * 2
                    && (config.varianceType.equals("learned") || config.varianceType.equals("learned_range"))) {
                mo = modelOutput.get(":, :" + channels);
                predictedVariance = modelOutput.get(":, " + channels + ":");
            }
            NDArray predOriginal = predictOriginal(mo, sample, SchedulerMath.sqrtF(alphaProdT),
                    SchedulerMath.sqrtF(betaProdT));
            predOriginal = thresholdOrClip(predOriginal, config.thresholding, config.dynamicThresholdingRatio,
                    config.sampleMaxValue, config.clipSample, config.clipSampleRange);
            float origCoeff = (SchedulerMath.sqrtF(alphaProdTPrev) * currentBetaT) / betaProdT;
            float curCoeff = SchedulerMath.sqrtF(currentAlphaT) * betaProdTPrev / betaProdT;
            NDArray prev = predOriginal.mul(origCoeff).add(sample.mul(curCoeff));
            if (t > 0) {
                NDArray noise = randn(scope.manager(), mo.getShape(), generators, mo.getDataType());
                float var = (1f - alphaProdTPrev) / (1f - alphaProdT) * currentBetaT;
                var = Math.max(var, 1e-20f);
                NDArray variance;
                switch (config.varianceType) {
                    case "fixed_small_log":
                        variance = noise.mul(SchedulerMath.expF(0.5f * SchedulerMath.logF(var)));
                        break;
                    case "learned_range": {
                        float minLog = SchedulerMath.logF(var);
                        float maxLog = SchedulerMath.logF(currentBetaT);
                        NDArray frac = predictedVariance.add(1f).div(2f);
                        NDArray v = frac.mul(maxLog).add(frac.neg().add(1f).mul(minLog));
                        variance = v.mul(0.5f).exp().mul(noise);
                        break;
                    }
                    case "learned":
                        variance = predictedVariance.sqrt().mul(noise);
                        break;
                    case "fixed_large":
                        variance = noise.mul(SchedulerMath.sqrtF(currentBetaT));
                        break;
                    case "fixed_large_log":
                        variance = noise.mul(SchedulerMath.sqrtF(SchedulerMath.logF(currentBetaT)));
                        break;
                    default: // fixed_small
                        variance = noise.mul(SchedulerMath.sqrtF(var));
                }
                prev = prev.add(variance);
            }
            return scope.output(prev, predOriginal);
        }
    }
}

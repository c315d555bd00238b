// Port of diffusers.schedulers.scheduling_lcm.LCMScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.TorchGenerator;

import java.nio.file.Path;
import java.util.List;

/**
 * Latent consistency model multistep sampling (Luo et al. 2023). {@link SchedulerOutput#predOriginalSample()} is
 * diffusers' {@code denoised} (the LCM pipeline decodes it after the last step). Draws one noise tensor per step
 * except the last.
 */
public class LCMScheduler extends BaseScheduler<LCMScheduler.Config> {

    /** LCMScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public int originalInferenceSteps = 50;
        public boolean clipSample = false;
        public double clipSampleRange = 1.0;
        public boolean setAlphaToOne = true;
        public boolean thresholding = false;
        public double dynamicThresholdingRatio = 0.995;
        public double sampleMaxValue = 1.0;
        public double timestepScaling = 10.0;
        public boolean rescaleBetasZeroSnr = false;

        public Config() {
            betaStart = 0.00085;
            betaEnd = 0.012;
            betaSchedule = "scaled_linear";
            timestepSpacing = "leading";
        }

        @Override
        public String defaultClassName() {
            return "LCMScheduler";
        }
    }

    private final float finalAlphaCumprod;

    public LCMScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
        finalAlphaCumprod = config.setAlphaToOne ? 1f : alphasCumprod[0];
    }

    public static LCMScheduler fromConfig(ConfigBase other) {
        return new LCMScheduler(SchedulerConfig.convert(other, Config.class));
    }

    public static LCMScheduler fromConfig(JsonObject json) {
        return new LCMScheduler(SchedulerConfig.parse(json, Config.class, "<json>"));
    }

    public static LCMScheduler fromConfig(Path file) {
        return new LCMScheduler(SchedulerConfig.parse(ConfigBase.readJsonObject(file), Config.class, file.toString()));
    }

    @Override
    public void setTimesteps(int n) {
        setTimesteps(n, null);
    }

    /**
     * diffusers' {@code set_timesteps(n, original_inference_steps=...)}: {@code originalInferenceSteps} (null = the
     * config's) is the length of the linearly spaced distillation schedule the {@code n} timesteps are taken from.
     */
    public void setTimesteps(int n, Integer originalInferenceSteps) {
        int original = originalInferenceSteps != null ? originalInferenceSteps : config.originalInferenceSteps;
        if (original < 1) {
            throw new IllegalArgumentException("original_inference_steps must be >= 1, got " + original);
        }
        if (original > config.numTrainTimesteps) {
            throw new IllegalArgumentException("`original_steps`: " + original + " cannot be larger than "
                    + "`num_train_timesteps`: " + config.numTrainTimesteps);
        }
        checkSteps(n);
        int k = config.numTrainTimesteps / original;
        int count = original; // int(original_steps * strength) with strength 1
        if (count / n < 1) {
            throw new IllegalArgumentException("The combination of `original_steps x strength`: " + original
                    + " x 1.0 is smaller than `num_inference_steps`: " + n);
        }
        if (n > original) {
            throw new IllegalArgumentException("`num_inference_steps`: " + n + " cannot be larger than "
                    + "`original_inference_steps`: " + original);
        }
        double[] origin = new double[count]; // reversed lcm_origin_timesteps
        for (int i = 0; i < count; i++) {
            origin[i] = (double) (count - i) * k - 1;
        }
        double[] idx = SchedulerMath.npLinspace(0, count, n, false);
        timesteps = new double[n];
        for (int i = 0; i < n; i++) {
            timesteps[i] = origin[(int) Math.floor(idx[i])];
        }
        numInferenceSteps = n;
        resetIndex();
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        ensureStepIndex(timestep, false);
        int prevIndex = stepIndex + 1;
        int t = trainIndex(timestep);
        int prevT = prevIndex < timesteps.length ? (int) timesteps[prevIndex] : t;
        float alphaProdT = alphasCumprod[t];
        float alphaProdTPrev = prevT >= 0 ? alphasCumprod[prevT] : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        // get_scalings_for_boundary_condition_discrete with a tensor timestep (float32)
        float scaled = (float) t * (float) config.timestepScaling;
        float cSkip = 0.25f / (scaled * scaled + 0.25f);
        float cOut = scaled / SchedulerMath.sqrtF(scaled * scaled + 0.25f);
        try (StepScope scope = openStep(sample, modelOutput)) {
            NDArray pred = predictOriginal(modelOutput, sample, SchedulerMath.sqrtF(alphaProdT),
                    SchedulerMath.sqrtF(betaProdT));
            pred = thresholdOrClip(pred, config.thresholding, config.dynamicThresholdingRatio,
                    config.sampleMaxValue, config.clipSample, config.clipSampleRange);
            NDArray denoised = pred.mul(cOut).add(sample.mul(cSkip));
            NDArray prev;
            if (stepIndex != numInferenceSteps - 1) {
                NDArray noise = randn(scope.manager(), modelOutput.getShape(), generators, denoised.getDataType());
                prev = denoised.mul(SchedulerMath.sqrtF(alphaProdTPrev))
                        .add(noise.mul(SchedulerMath.sqrtF(betaProdTPrev)));
            } else {
                prev = denoised;
            }
            stepIndex++;
            return scope.output(prev, denoised);
        }
    }
}

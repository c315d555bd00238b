// Port of diffusers.schedulers.scheduling_lcm.LCMScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Latent consistency model multistep sampling (Luo et al. 2023). {@link SchedulerOutput#predOriginalSample()} is
 * diffusers' {@code denoised} (the LCM pipeline decodes it after the last step). Draws one noise tensor per step
 * except the last.
 */
public class LCMScheduler extends BaseScheduler<LCMScheduler.Config> {
    private static final Logger LOG = LoggerFactory.getLogger(LCMScheduler.class);

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
        public void validate() {
            super.validate();
            if (originalInferenceSteps < 1 || originalInferenceSteps > MAX_TRAIN_TIMESTEPS) {
                throw invalid("key 'original_inference_steps' is %d, outside [1, %d]", originalInferenceSteps,
                        MAX_TRAIN_TIMESTEPS);
            }
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

    @Override
    public void setTimesteps(int n) {
        setTimesteps(n, null);
    }

    /**
     * diffusers' {@code set_timesteps(n, original_inference_steps=...)}: {@code originalInferenceSteps} (null = the
     * config's) is the length of the linearly spaced distillation schedule the {@code n} timesteps are taken from.
     */
    public void setTimesteps(int n, Integer originalInferenceSteps) {
        int original = originalSteps(originalInferenceSteps);
        checkSteps(n);
        int count = original; // int(original_steps * strength) with strength 1
        if (count / n < 1) {
            throw new IllegalArgumentException("The combination of `original_steps x strength`: " + original
                    + " x 1.0 is smaller than `num_inference_steps`: " + n);
        }
        if (n > original) {
            throw new IllegalArgumentException("`num_inference_steps`: " + n + " cannot be larger than "
                    + "`original_inference_steps`: " + original);
        }
        double[] origin = SchedulerMath.reverse(lcmOriginTimesteps(original));
        double[] idx = SchedulerMath.npLinspace(0, count, n, false);
        timesteps = new double[n];
        for (int i = 0; i < n; i++) {
            timesteps[i] = origin[(int) Math.floor(idx[i])];
        }
        numInferenceSteps = n;
        resetIndex();
    }

    /** {@code original_inference_steps} (the override, else the config's), checked against num_train_timesteps. */
    private int originalSteps(Integer override) {
        int original = override != null ? override : config.originalInferenceSteps;
        if (original < 1) {
            throw new IllegalArgumentException("original_inference_steps must be >= 1, got " + original);
        }
        if (original > config.numTrainTimesteps) {
            throw new IllegalArgumentException("`original_steps`: " + original + " cannot be larger than "
                    + "`self.config.train_timesteps`: " + config.numTrainTimesteps + " as the unet model trained "
                    + "with this scheduler can only handle maximal " + config.numTrainTimesteps + " timesteps.");
        }
        return original;
    }

    /** diffusers' {@code lcm_origin_timesteps} (ascending, strength 1): {@code k * i - 1} for i in 1..original. */
    private double[] lcmOriginTimesteps(int original) {
        int k = config.numTrainTimesteps / original;
        double[] origin = new double[original];
        for (int i = 0; i < original; i++) {
            origin[i] = (double) (i + 1) * k - 1;
        }
        return origin;
    }

    @Override
    public boolean acceptsCustomTimesteps() {
        return true;
    }

    /**
     * diffusers' custom branch (strength 1): descending, below num_train_timesteps, int64; logs diffusers'
     * {@link #customTimestepWarnings warnings}.
     */
    @Override
    protected void setCustomTimesteps(Integer n, double[] custom, double[] customSigmas) {
        checkOneOf(n, custom); // set_timesteps(n, timesteps=...) is refused, as in diffusers
        setCustomTimesteps(custom, null);
    }

    /**
     * diffusers' {@code set_timesteps(timesteps=custom, original_inference_steps=...)}, what
     * LatentConsistencyModelPipeline's {@code retrieve_timesteps} call does: {@code originalInferenceSteps} (null =
     * the config's) only decides which warnings are logged.
     */
    public void setCustomTimesteps(double[] custom, Integer originalInferenceSteps) {
        checkOneOf(null, custom);
        int original = originalSteps(originalInferenceSteps);
        checkDescendingBelowTrain(custom);
        for (String warning : customTimestepWarnings(custom, original)) {
            LOG.warn(warning);
        }
        timesteps = int64(custom);
        numInferenceSteps = timesteps.length;
        resetIndex();
    }

    /**
     * The warnings diffusers logs for a custom schedule (strength 1): not starting at
     * {@code num_train_timesteps - 1}; timesteps off the distillation schedule (the first is not checked, as in
     * diffusers); longer than {@code original_inference_steps}.
     */
    List<String> customTimestepWarnings(double[] custom, int original) {
        double[] origin = lcmOriginTimesteps(original);
        List<String> nonTrain = new ArrayList<>();
        for (int i = 1; i < custom.length; i++) {
            if (Arrays.binarySearch(origin, custom[i]) < 0) {
                nonTrain.add(pythonNumber(custom[i]));
            }
        }
        List<String> warnings = new ArrayList<>();
        if (custom[0] != config.numTrainTimesteps - 1) {
            warnings.add("The first timestep on the custom timestep schedule is " + pythonNumber(custom[0])
                    + ", not `self.config.num_train_timesteps - 1`: " + (config.numTrainTimesteps - 1)
                    + ". You may get unexpected results when using this timestep schedule.");
        }
        if (!nonTrain.isEmpty()) {
            warnings.add("The custom timestep schedule contains the following timesteps which are not on the "
                    + "original training/distillation timestep schedule: " + nonTrain + ". You may get unexpected "
                    + "results when using this timestep schedule.");
        }
        if (custom.length > original) {
            warnings.add("The number of timesteps in the custom timestep schedule is " + custom.length + ", which "
                    + "exceeds the the length of the timestep schedule used for training: " + original + ". You may "
                    + "get some unexpected results when using this timestep schedule.");
        }
        return warnings;
    }

    /** A value as Python prints the number it came from (integers without ".0"). */
    private static String pythonNumber(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
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

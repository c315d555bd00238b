// Port of diffusers.schedulers.scheduling_flow_match_euler_discrete.FlowMatchEulerDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.utils.TorchGenerator;

import java.util.Arrays;
import java.util.List;

import static io.diffusers4j.config.ConfigLimits.inRangeIfSet;

/**
 * Euler sampler of rectified flow (SD3, FLUX): {@code prev = sample + (sigma_next - sigma) * model_output}, the sample
 * upcast to float32 and the result cast back to the model output's dtype, as diffusers does. Schedules (see
 * {@link FlowMatchScheduler}): the default linspace of {@code num_inference_steps} sigmas, or custom {@code sigmas}
 * (without the final 0, which is appended), each shifted statically ({@code shift}) or, with
 * {@code use_dynamic_shifting}, by {@code exp(mu) / (exp(mu) + (1 / sigma - 1))} with the {@code mu} of the call
 * (FLUX computes it from the image size: {@link #calculateShift}).
 *
 * <p>Usage of the FLUX pipeline: {@code mu = calculateShift(imageSeqLen)};
 * {@code Schedulers.retrieveTimesteps(scheduler, n, null, npLinspace(1.0, 1.0 / n, n), mu)}; then for each
 * {@code t} of {@link #timesteps()}: {@code latents = step(velocity, t, latents).prevSample()}. diffusers' {@code step}
 * also takes {@code s_churn}, {@code s_tmin}, {@code s_tmax}, {@code s_noise} and a generator, and uses none of them
 * in 0.30.3 (no noise is drawn): this port takes {@code eta} and generators only to fit {@link Scheduler} and ignores
 * them too.
 */
public class FlowMatchEulerDiscreteScheduler extends FlowMatchScheduler<FlowMatchEulerDiscreteScheduler.Config> {
    /** diffusers' message when {@code use_dynamic_shifting} is set and no {@code mu} is passed (sic). */
    static final String MU_REQUIRED = " you have a pass a value for `mu` when `use_dynamic_shifting` is set to be "
            + "`True`";
    /** Most tokens an image sequence length key may give (a 16384 x 16384 image has 1,048,576 FLUX tokens). */
    public static final int MAX_IMAGE_SEQ_LEN = 1 << 24;

    /** FlowMatchEulerDiscreteScheduler's {@code __init__} keys and defaults. */
    public static class Config extends FlowMatchConfig {
        /** Shift each call's sigmas by its {@code mu} (FLUX.1-dev) instead of the static {@code shift}. */
        public boolean useDynamicShifting = false;
        /** FluxPipeline's {@code calculate_shift}: mu at {@code base_image_seq_len} tokens. */
        public Double baseShift = 0.5;
        /** FluxPipeline's {@code calculate_shift}: mu at {@code max_image_seq_len} tokens. */
        public Double maxShift = 1.15;
        public Integer baseImageSeqLen = 256;
        public Integer maxImageSeqLen = 4096;

        /**
         * The shared keys, then {@code base_shift} / {@code max_shift} finite when set and the two sequence lengths
         * within [1, {@link #MAX_IMAGE_SEQ_LEN}] when set (diffusers checks none of them; they only feed
         * {@code calculate_shift}).
         */
        @Override
        public void validate() {
            super.validate();
            finiteIfSet("base_shift", baseShift);
            finiteIfSet("max_shift", maxShift);
            inRangeIfSet("base_image_seq_len", baseImageSeqLen, 1, MAX_IMAGE_SEQ_LEN);
            inRangeIfSet("max_image_seq_len", maxImageSeqLen, 1, MAX_IMAGE_SEQ_LEN);
        }

        @Override
        public String defaultClassName() {
            return "FlowMatchEulerDiscreteScheduler";
        }
    }

    public FlowMatchEulerDiscreteScheduler(Config config) {
        super(config, !config.useDynamicShifting);
    }

    /**
     * FluxPipeline's {@code calculate_shift(image_seq_len, base_seq_len, max_seq_len, base_shift, max_shift)}: the
     * {@code mu} on the line through {@code (base_seq_len, base_shift)} and {@code (max_seq_len, max_shift)}, in
     * float64 as Python computes it.
     */
    public static double calculateShift(long imageSeqLen, int baseSeqLen, int maxSeqLen, double baseShift,
                                        double maxShift) {
        if (maxSeqLen == baseSeqLen) {
            throw new IllegalArgumentException("calculate_shift: max_image_seq_len and base_image_seq_len are both "
                    + baseSeqLen + " (division by zero)");
        }
        double slope = (maxShift - baseShift) / (maxSeqLen - baseSeqLen);
        double intercept = baseShift - slope * baseSeqLen;
        return imageSeqLen * slope + intercept;
    }

    /**
     * {@link #calculateShift(long, int, int, double, double)} with this config's {@code base_image_seq_len},
     * {@code max_image_seq_len}, {@code base_shift} and {@code max_shift}, as FluxPipeline calls it (FLUX: the
     * packed latent sequence length, {@code (height / 16) * (width / 16)}).
     */
    public double calculateShift(long imageSeqLen) {
        if (config.baseImageSeqLen == null || config.maxImageSeqLen == null || config.baseShift == null
                || config.maxShift == null) {
            throw new IllegalArgumentException("calculate_shift needs base_image_seq_len, max_image_seq_len, "
                    + "base_shift and max_shift in the scheduler config, got " + config.baseImageSeqLen + ", "
                    + config.maxImageSeqLen + ", " + config.baseShift + ", " + config.maxShift);
        }
        return calculateShift(imageSeqLen, config.baseImageSeqLen, config.maxImageSeqLen, config.baseShift,
                config.maxShift);
    }

    @Override
    public boolean acceptsCustomSigmas() {
        return true;
    }

    @Override
    public boolean acceptsMu() {
        return true;
    }

    /** {@code set_timesteps(n)}: with {@code use_dynamic_shifting} refused (it needs {@code mu}). */
    @Override
    public void setTimesteps(int numInferenceSteps) {
        setTimesteps(numInferenceSteps, null, null, null);
    }

    @Override
    public void setTimesteps(Integer numInferenceSteps, double[] customTimesteps, double[] customSigmas) {
        setTimesteps(numInferenceSteps, customTimesteps, customSigmas, null);
    }

    /**
     * diffusers' {@code set_timesteps(num_inference_steps, sigmas=None, mu=None)}. {@code sigmas} (float64, as the
     * numpy array FLUX passes; the final 0 is appended, not given) replace the linspace, and then
     * {@code numInferenceSteps} is ignored; {@code mu} is required with {@code use_dynamic_shifting} and ignored
     * without. Custom {@code timesteps} are refused with {@code retrieve_timesteps}' message. Clears the step and
     * begin index.
     *
     * <p>diffusers takes any {@code num_inference_steps} from 0 (an empty schedule); like every scheduler here this
     * port takes 1 to {@code num_train_timesteps}, so that a call cannot ask for tables of any size.
     */
    @Override
    public void setTimesteps(Integer numInferenceSteps, double[] customTimesteps, double[] customSigmas, Double mu) {
        if (customTimesteps != null) {
            throw unsupportedCustom(className(), "timestep");
        }
        if (config.useDynamicShifting && mu == null) {
            throw new IllegalArgumentException(MU_REQUIRED);
        }
        double[] s;
        if (customSigmas == null) {
            if (numInferenceSteps == null) {
                throw new IllegalArgumentException(className() + ": set_timesteps needs num_inference_steps or "
                        + "sigmas");
            }
            checkSteps(numInferenceSteps);
            this.numInferenceSteps = numInferenceSteps;
            s = linspaceSigmas(numInferenceSteps);
        } else {
            if (customSigmas.length == 0) {
                throw new IllegalArgumentException("custom `sigmas` must not be empty");
            }
            s = customSigmas; // diffusers leaves num_inference_steps as it was
        }
        s = config.useDynamicShifting ? timeShift(mu, s) : staticShift(s);
        float[] f = SchedulerMath.narrow(s);
        timesteps = timestepsOf(f, config.numTrainTimesteps);
        sigmas = Arrays.copyOf(f, f.length + 1);
        resetIndex();
    }

    /** diffusers' {@code time_shift(mu, 1.0, t)}: {@code exp(mu) / (exp(mu) + (1 / t - 1) ** 1.0)} in float64. */
    static double[] timeShift(double mu, double[] t) {
        double e = Math.exp(mu);
        double[] out = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = e / (e + (1.0 / t[i] - 1.0)); // ** 1.0 is the identity
        }
        return out;
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        ensureStepIndex(timestep);
        checkStepIndex(1);
        try (StepScope scope = openStep(sample, modelOutput)) {
            NDArray x = sample.toType(DataType.FLOAT32, false); // upcast, as diffusers
            float dt = sigmas[stepIndex + 1] - sigmas[stepIndex];
            NDArray prev = x.add(timesScalar(modelOutput, dt, scope.manager()))
                    .toType(modelOutput.getDataType(), false);
            stepIndex++;
            return scope.output(prev, null);
        }
    }

    /**
     * diffusers' {@code scale_noise}: the sigma of each row is found by its timestep without a begin index; with one,
     * it is the step index once stepping has begun (inpainting re-noises the image after each step), else the begin
     * index (img2img's initial latents). Does not change the step index.
     */
    @Override
    public NDArray scaleNoise(NDArray sample, double[] rowTimesteps, NDArray noise) {
        long rows = sample.getShape().get(0);
        if (rowTimesteps.length != rows && rowTimesteps.length != 1) {
            throw new IllegalArgumentException("scale_noise needs one timestep per batch row (or one for all): got "
                    + rowTimesteps.length + " for shape " + sample.getShape());
        }
        float[] s = new float[rowTimesteps.length];
        for (int i = 0; i < s.length; i++) {
            int index = beginIndex == null ? indexOf(rowTimesteps[i]) : stepIndex != null ? stepIndex : beginIndex;
            s[i] = sigmas[index];
        }
        return forwardProcess(sample, s, noise, true);
    }
}

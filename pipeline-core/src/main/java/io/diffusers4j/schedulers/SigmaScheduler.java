// Shared part of diffusers' k-diffusion style schedulers (Euler, Euler ancestral, LMS, Heun): input scaling, add_noise.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Schedulers that scale the model input by {@code 1 / sqrt(sigma^2 + 1)} and keep diffusers' {@code step_index}:
 * on top of the sigma tables of {@link SigmaTableScheduler}, {@code init_noise_sigma}, {@code scale_model_input},
 * the sigma form of {@code add_noise} and the float32 timesteps these schedulers space.
 */
public abstract class SigmaScheduler<C extends SchedulerConfig> extends SigmaTableScheduler<C> {

    protected SigmaScheduler(C config, boolean rescaleZeroSnr) {
        super(config, rescaleZeroSnr);
    }

    @Override
    public double initNoiseSigma() {
        if (sigmas == null) {
            throw new IllegalStateException(className() + ": call setTimesteps before initNoiseSigma");
        }
        float max = SchedulerMath.max(sigmas);
        if (config.timestepSpacing.equals("linspace") || config.timestepSpacing.equals("trailing")) {
            return max;
        }
        return SchedulerMath.sqrtF(max * max + 1f);
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        ensureStepIndex(timestep, false);
        float sigma = sigmas[stepIndex];
        return sample.div(SchedulerMath.sqrtF(sigma * sigma + 1f));
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double[] ts) {
        float[] s = addNoiseSigmas(original, ts, false);
        try (NDManager sub = original.getManager().newSubManager()) {
            NDArray scaled = column(sub, s, noise).mul(noise);
            return original.add(scaled);
        }
    }

    /** Start of a step: the step index (set on the first call), checked against the sigmas left. */
    protected void startStep(double timestep) {
        ensureStepIndex(timestep, false);
        if (stepIndex + 1 >= sigmas.length) {
            throw new IllegalStateException(className() + ": step called more often than there are timesteps");
        }
    }

    /**
     * {@code pred_original_sample} of the k-diffusion schedulers (Karras' denoiser at {@code sigma}) from the
     * configured {@code prediction_type}: epsilon {@code x - sigma * eps}; v_prediction
     * {@code v * (-sigma / sqrt(sigma^2 + 1)) + x / (sigma^2 + 1)}; sample / original_sample a copy of the output.
     */
    protected NDArray denoised(NDArray modelOutput, NDArray sample, float sigma) {
        switch (config.predictionType) {
            case "epsilon":
                return sample.sub(modelOutput.mul(sigma));
            case "v_prediction":
                return modelOutput.mul(-sigma / SchedulerMath.sqrtF(sigma * sigma + 1f))
                        .add(sample.div(sigma * sigma + 1f));
            default: // sample, original_sample
                return modelOutput.duplicate();
        }
    }

    /** Float32 timesteps of the configured spacing (diffusers' k-diffusion schedulers). */
    protected double[] spacedTimestepsF32(int n) {
        return SchedulerMath.toF32(spacedTimesteps(n, false));
    }
}

// Port of diffusers.schedulers.scheduling_utils.SchedulerMixin: the API every scheduler offers a pipeline.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;

/**
 * A diffusers noise scheduler. Tables ({@code alphas_cumprod}, sigmas, timesteps) live on the host; only
 * {@link #step}, {@link #scaleModelInput} and {@link #addNoise} touch tensors.
 *
 * <p>Usage as in diffusers: {@code setTimesteps(n)}; {@code latents = noise * initNoiseSigma()}; for each
 * {@code t} of {@code timesteps()}: {@code in = scaleModelInput(latents, t)}, call the model, then
 * {@code latents = step(modelOutput, t, latents, eta, generators).prevSample()}.
 *
 * <p>img2img strength rule (diffusers' {@code get_timesteps}): the pipeline computes
 * {@code initTimestep = min((int) (numInferenceSteps * strength), numInferenceSteps)} and
 * {@code tStart = max(numInferenceSteps - initTimestep, 0)}, uses {@code timesteps()[tStart * order():]}, and calls
 * {@code setBeginIndex(tStart * order())} before {@code addNoise} (sigma schedulers then take the sigma at that
 * index instead of searching the timestep).
 *
 * <p>Memory: {@code prevSample} belongs to the manager of the {@code sample} argument; state kept across steps
 * (PNDM {@code ets}, multistep model outputs, Heun's first-order state, LMS derivatives) lives in a manager the
 * scheduler owns, released by {@link #setTimesteps} and {@link #close}. A scheduler is stateful and not thread
 * safe: use {@link #copy()} to get an independent instance per call.
 */
public interface Scheduler extends AutoCloseable {

    /** The typed config (diffusers' {@code scheduler.config}). */
    SchedulerConfig config();

    /** The diffusers class name, e.g. {@code "EulerDiscreteScheduler"}. */
    String className();

    /** diffusers' {@code order}: model calls per inference step (2 for Heun, else 1). */
    int order();

    /** diffusers' {@code set_timesteps(num_inference_steps)}; resets all step state. */
    void setTimesteps(int numInferenceSteps);

    /**
     * diffusers' {@code set_timesteps(num_inference_steps=None, timesteps=None, sigmas=None)}: a custom schedule
     * ({@code timesteps} descending, or {@code sigmas} with the final sigma last) instead of the configured spacing,
     * with diffusers' checks and messages; {@code null} means "not passed". Without a custom array this is
     * {@link #setTimesteps(int)}. Schedulers whose diffusers {@code set_timesteps} has no such argument refuse it
     * with {@code retrieve_timesteps}' message. Pipelines call {@link Schedulers#retrieveTimesteps} instead.
     */
    void setTimesteps(Integer numInferenceSteps, double[] timesteps, double[] sigmas);

    /**
     * diffusers' {@code set_timesteps(num_inference_steps, timesteps=..., sigmas=..., mu=...)}: {@code mu} is the
     * dynamic shift of {@link FlowMatchEulerDiscreteScheduler} (FLUX), {@code null} meaning "not passed". Classes
     * whose {@code set_timesteps} has no {@code mu} refuse one with Python's message; without it this is
     * {@link #setTimesteps(Integer, double[], double[])}.
     */
    default void setTimesteps(Integer numInferenceSteps, double[] timesteps, double[] sigmas, Double mu) {
        if (mu != null && !acceptsMu()) {
            throw new IllegalArgumentException(className() + ".set_timesteps() got an unexpected keyword argument "
                    + "'mu'");
        }
        setTimesteps(numInferenceSteps, timesteps, sigmas);
    }

    /** Whether diffusers' {@code set_timesteps} of this class takes {@code mu} (flow matching's dynamic shift). */
    default boolean acceptsMu() {
        return false;
    }

    /** Whether diffusers' {@code set_timesteps} of this class takes {@code timesteps}. */
    default boolean acceptsCustomTimesteps() {
        return false;
    }

    /** Whether diffusers' {@code set_timesteps} of this class takes {@code sigmas}. */
    default boolean acceptsCustomSigmas() {
        return false;
    }

    /** diffusers' {@code scheduler.timesteps} as doubles (integer schedules hold exact integers). */
    double[] timesteps();

    /** diffusers' {@code init_noise_sigma}. */
    double initNoiseSigma();

    /** diffusers' {@code scheduler.sigmas}, or {@code null} for schedulers without sigmas (DDIM, PNDM, DDPM, LCM). */
    double[] sigmas();

    /** {@code alphas_cumprod} (float32 values, as in diffusers), or {@code null} for the flow-matching schedulers. */
    double[] alphasCumprod();

    /** diffusers' {@code scale_model_input}; may return {@code sample} itself when the scheduler does not scale. */
    NDArray scaleModelInput(NDArray sample, double timestep);

    /**
     * diffusers' {@code step}. {@code eta} is used by DDIM only (like diffusers' {@code prepare_extra_step_kwargs});
     * {@code generators} (may be null/empty: random seed) feed the schedulers that draw noise, in diffusers' order.
     */
    SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                         List<TorchGenerator> generators);

    /** {@link #step} with {@code eta = 0} and no generator. */
    default SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample) {
        return step(modelOutput, timestep, sample, 0.0, null);
    }

    /**
     * diffusers' {@code add_noise} with one timestep per batch row; the result belongs to {@code original}'s manager.
     * The flow-matching schedulers have none ({@link FlowMatchScheduler#scaleNoise} is their forward process).
     */
    NDArray addNoise(NDArray original, NDArray noise, double[] timesteps);

    /** diffusers' {@code set_begin_index} (img2img); a no-op for schedulers that do not keep a step index. */
    void setBeginIndex(int beginIndex);

    /** diffusers' {@code step_index} or {@code null} (before the first step / for index-free schedulers). */
    Integer stepIndex();

    /** diffusers' {@code begin_index} or {@code null}. */
    Integer beginIndex();

    /** A fresh scheduler of the same class with a copy of this config and no state. */
    Scheduler copy();

    /** Releases the tensors kept across steps. */
    @Override
    void close();
}

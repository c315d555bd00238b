// diffusers' callback_on_step_end hook.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;

/** Called after every denoising step with the step index, its timestep and the new latents. */
@FunctionalInterface
public interface StepEndCallback {
    /**
     * @return the latents to continue with: {@code latents} itself, or a replacement (owned by the same manager)
     */
    NDArray onStepEnd(int step, double timestep, NDArray latents);
}

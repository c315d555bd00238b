// The skeleton of diffusers' denoising loops: progress bar, one sub-manager per step, callback_on_step_end.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What every pipeline's loop does around its own step: for each timestep, the step in a sub-manager of the call's
 * manager (only the new latents survive it, attached to the call's manager), then {@code callback_on_step_end} and
 * the progress listener.
 */
final class DenoisingLoop {
    /** One iteration: the latents after step {@code i} at timestep {@code t} (before the step-end callback). */
    @FunctionalInterface
    interface Step {
        NDArray run(NDManager step, int i, double t, NDArray latents);
    }

    private DenoisingLoop() {
    }

    /** Runs {@code body} over {@code timesteps} from {@code latents}; returns the last latents, attached to {@code m}. */
    static NDArray run(NDManager m, double[] timesteps, NDArray latents, PipelineCall args, ProgressListener progress,
                       Step body) {
        progress.start(timesteps.length);
        try {
            for (int i = 0; i < timesteps.length; i++) {
                double t = timesteps[i];
                try (NDManager step = m.newSubManager()) {
                    latents.attach(step);
                    NDArray next = body.run(step, i, t, latents);
                    if (args.callbackOnStepEnd() != null) {
                        next = args.callbackOnStepEnd().onStepEnd(i, t, next);
                    }
                    next.attach(m);
                    latents = next;
                }
                progress.step(i + 1, timesteps.length);
            }
        } finally {
            progress.end();
        }
        return latents;
    }
}

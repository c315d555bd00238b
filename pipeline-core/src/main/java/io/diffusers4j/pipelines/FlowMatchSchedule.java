// FluxPipeline's schedule: sigmas = np.linspace(1.0, 1 / steps, steps), mu = calculate_shift(image_seq_len, ...).
package io.diffusers4j.pipelines;

import io.diffusers4j.schedulers.FlowMatchEulerDiscreteScheduler;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerMath;
import io.diffusers4j.schedulers.Schedulers;

/**
 * What FluxPipeline's {@code __call__} does before its loop: its own sigmas and the dynamic shift {@code mu} of the
 * packed latent sequence length, read from the scheduler's config ({@code base_image_seq_len},
 * {@code max_image_seq_len}, {@code base_shift}, {@code max_shift}), then {@code retrieve_timesteps(sigmas, mu)}.
 */
public final class FlowMatchSchedule {
    private FlowMatchSchedule() {
    }

    /** Sets {@code scheduler}'s timesteps for {@code steps} steps over {@code imageSeqLen} latent tokens. */
    public static void setSigmas(Scheduler scheduler, int steps, long imageSeqLen) {
        Schedulers.retrieveTimesteps(scheduler, steps, null, SchedulerMath.npLinspace(1.0, 1.0 / steps, steps),
                requireFlowMatch(scheduler).calculateShift(imageSeqLen));
    }

    /** FLUX reads the shift parameters of FlowMatchEulerDiscreteScheduler's config: another scheduler is refused. */
    static FlowMatchEulerDiscreteScheduler requireFlowMatch(Scheduler scheduler) {
        if (!(scheduler instanceof FlowMatchEulerDiscreteScheduler flow)) {
            throw new IllegalArgumentException("FluxPipeline needs a FlowMatchEulerDiscreteScheduler (its sigmas are "
                    + "shifted by calculate_shift with the scheduler config's base_image_seq_len, max_image_seq_len, "
                    + "base_shift and max_shift), got " + scheduler.className());
        }
        return flow;
    }
}

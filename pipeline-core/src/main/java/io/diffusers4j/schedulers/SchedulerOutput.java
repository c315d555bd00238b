// Port of diffusers.schedulers.scheduling_utils.SchedulerOutput (and the per-scheduler *SchedulerOutput classes).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;

/**
 * What {@link Scheduler#step} returns: {@code prevSample} (the latents for the next step, owned by the manager of
 * the {@code sample} argument) and {@code predOriginalSample} (diffusers' {@code pred_original_sample}, or
 * {@code denoised} for {@link LCMScheduler}; {@code null} where diffusers returns none: PNDM, Heun,
 * DPM-Solver++, UniPC).
 */
public final class SchedulerOutput {
    private final NDArray prevSample;
    private final NDArray predOriginalSample;

    public SchedulerOutput(NDArray prevSample, NDArray predOriginalSample) {
        this.prevSample = prevSample;
        this.predOriginalSample = predOriginalSample;
    }

    public NDArray prevSample() {
        return prevSample;
    }

    /** diffusers' {@code pred_original_sample} ({@code denoised} for LCM), or {@code null}. */
    public NDArray predOriginalSample() {
        return predOriginalSample;
    }
}

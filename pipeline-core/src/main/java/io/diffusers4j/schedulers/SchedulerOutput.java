// diffusers' SchedulerOutput (placeholder until the schedulers land).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;

/** prev_sample and, where diffusers gives it, pred_original_sample. */
public record SchedulerOutput(NDArray prevSample, NDArray predOriginalSample) {
}

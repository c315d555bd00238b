// One validated prompt row: the arguments of one diffusers pipeline call, or why the input row is unusable.
package io.diffusers4j.job.rows;

import io.diffusers4j.job.render.AdapterSet;

import java.io.Serializable;

/**
 * A prompt row after validation and defaulting. When {@link #error()} is null every field a call needs is set
 * (steps/guidance/width/height/scheduler may still be null: "the pipeline's own", resolved on the executor). When it is not,
 * the fields hold whatever could be read (possibly null) and the row becomes one output row with status error.
 *
 * @param id                 the row's id, given or derived ({@link SeedDeriver#deriveId})
 * @param seed               base seed: image i uses seed + i
 * @param prompt2            SDXL's {@code prompt_2}, or null (diffusers: the prompt)
 * @param negativePrompt2    SDXL's {@code negative_prompt_2}, or null
 * @param prompt3            Stable Diffusion 3's {@code prompt_3}, or null (diffusers: the prompt)
 * @param negativePrompt3    Stable Diffusion 3's {@code negative_prompt_3}, or null
 * @param maxSequenceLength  the T5 prompt length ({@code max_sequence_length}, 1..512), or null (the pipeline's)
 * @param schedule           custom timesteps or sigmas, or null
 * @param adapters           the LoRAs and textual inversions ({@link AdapterSet#NONE} when none)
 * @param audioLengthInS     an audio pipeline's {@code audio_length_in_s}, or null (the UNet's default length)
 * @param location           "file:line" of the input record
 * @param raw                the input text
 */
public record PromptRow(String id, String prompt, String negativePrompt, Long seed, Integer numInferenceSteps,
                        Double guidanceScale, Integer width, Integer height, String scheduler,
                        Integer numImagesPerPrompt, String prompt2, String negativePrompt2, String prompt3,
                        String negativePrompt3, Integer maxSequenceLength, CustomSchedule schedule,
                        AdapterSet adapters, Double audioLengthInS, String location, String raw,
                        String error)
        implements Serializable {

    /** A row without SD3 / FLUX arguments, adapters or an audio length. */
    public PromptRow(String id, String prompt, String negativePrompt, Long seed, Integer numInferenceSteps,
                     Double guidanceScale, Integer width, Integer height, String scheduler,
                     Integer numImagesPerPrompt, String prompt2, String negativePrompt2, CustomSchedule schedule,
                     String location, String raw, String error) {
        this(id, prompt, negativePrompt, seed, numInferenceSteps, guidanceScale, width, height, scheduler,
                numImagesPerPrompt, prompt2, negativePrompt2, null, null, null, schedule, AdapterSet.NONE, null,
                location, raw, error);
    }

    public boolean ok() {
        return error == null;
    }
}

// One resolved prompt of a plan: what the job renders (images_per_prompt images) and the plan columns it records.
package io.diffusers4j.job.plan;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * @param index          the combination's index in the plan (product order)
 * @param id             stable: the template id and a hash of the chosen values and sweep values
 * @param templateId     the template's id
 * @param prompt         the resolved prompt (also the {@code caption} column)
 * @param negativePrompt the template's, else the plan default's, else null (the job's default applies)
 * @param slots          each choice point of the template → its resolved value ({@code animal}, {@code __color__},
 *                       {@code {1}} for the first inline group)
 * @param loras          the row's {@code loras} entries ({@code PATH_OR_ID[:SCALE]}), or null for none
 * @param textualInversions the row's {@code textual_inversions} entries ({@code PATH_OR_ID[:TOKEN]}), or null
 * @param maxSequenceLength the row's {@code max_sequence_length} (Stable Diffusion 3, FLUX), or null
 * @param seed           base seed, derived from (plan seed, id): image i is drawn with seed + i
 */
public record PlanRow(long index, String id, String templateId, String prompt, String negativePrompt,
                      Map<String, String> slots, Integer numInferenceSteps, Double guidanceScale, Integer width,
                      Integer height, String scheduler, List<String> loras, List<String> textualInversions,
                      Integer maxSequenceLength, long seed, int imagesPerPrompt) implements Serializable {
}

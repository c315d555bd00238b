// What made each image of a `generate` run, for its PNG text chunks.
package io.diffusers4j.cli;

import io.diffusers4j.image.AdapterMetadata;
import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.pipelines.AudioPipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;

import java.util.List;

/**
 * The resolved call (the values the pipeline actually used, its defaults included) and what the command adds
 * (seeds, model, scheduler), per image. Images are ordered like diffusers' (all images of prompt 0, then prompt 1,
 * ...). Seeds: one seed per image is that image's own generator; a single seed for a batch of several images is
 * ONE generator whose draw covers the whole batch, so the image records that seed plus {@code batch_index} /
 * {@code batch_size} (it is reproduced by the same batch, not by the seed alone).
 */
record GenerateMetadata(PipelineCall resolved, int[] size, List<Long> seeds, String scheduler, String model,
                        String revision, List<String> schedulerOptions, String pipelineClass,
                        AdapterMetadata adapters) {

    GenerateMetadata(PipelineCall resolved, int[] size, List<Long> seeds, String scheduler, String model,
                     String revision, List<String> schedulerOptions, String pipelineClass) {
        this(resolved, size, seeds, scheduler, model, revision, schedulerOptions, pipelineClass, AdapterMetadata.NONE);
    }

    /** The same with the LoRAs and textual inversions the images were made with. */
    GenerateMetadata withAdapters(AdapterMetadata used) {
        return new GenerateMetadata(resolved, size, seeds, scheduler, model, revision, schedulerOptions, pipelineClass,
                used);
    }

    GenerationMetadata forImage(int i, int n) {
        return forItem(i, n).size(size[1], size[0]);
    }

    /** Item {@code i} of {@code n} of an audio run: its settings, length and sample rate. */
    GenerationMetadata forAudio(int i, int n, AudioPipelineOutput audio) {
        GenerationMetadata m = forItem(i, n);
        if (resolved.audioLengthInS() != null) {
            m.put("audio_length_in_s", Double.toString(resolved.audioLengthInS()));
        }
        return m.put("sample_rate", Integer.toString(audio.sampleRate()))
                .put("channels", Integer.toString(audio.channels()));
    }

    /** What images and audio share: prompts, seeds, steps, guidance, scheduler, model and the call's options. */
    private GenerationMetadata forItem(int i, int n) {
        int perPrompt = resolved.numImagesPerPrompt();
        List<String> prompts = resolved.prompt();
        int promptIndex = Math.min(i / perPrompt, Math.max(0, prompts.size() - 1));
        GenerationMetadata m = new GenerationMetadata().prompt(prompts.isEmpty() ? null : prompts.get(promptIndex))
                .steps(resolved.numInferenceSteps()).guidanceScale(resolved.guidanceScale()).scheduler(scheduler)
                .model(model).revision(revision);
        m.negativePrompt(entry(resolved.negativePrompt(), promptIndex))
                .secondPrompts(entry(resolved.sdxl().prompt2(), promptIndex),
                        entry(resolved.sdxl().negativePrompt2(), promptIndex));
        if (seeds.size() == n) {
            m.seed(seeds.get(i));
        } else if (seeds.size() == 1) {
            m.seed(seeds.get(0));
            if (n > 1) {
                m.put("batch_index", Integer.toString(i));
                m.put("batch_size", Integer.toString(n));
            }
        }
        if (resolved.image() != null) {
            m.put("strength", Double.toString(resolved.strength()));
            m.put("mode", resolved.maskImage() != null ? "inpaint" : "img2img");
        }
        if (resolved.eta() != 0) {
            m.put("eta", Double.toString(resolved.eta()));
        }
        if (resolved.clipSkip() != null) {
            m.put("clip_skip", Integer.toString(resolved.clipSkip()));
        }
        m.thirdPrompts(entry(resolved.prompt3(), promptIndex), entry(resolved.negativePrompt3(), promptIndex))
                .maxSequenceLength(resolved.maxSequenceLength());
        if (resolved.guidanceRescale() != 0) {
            m.put("guidance_rescale", Double.toString(resolved.guidanceRescale()));
        }
        if (resolved.useClippedModelOutput() != null) {
            m.put("use_clipped_model_output", resolved.useClippedModelOutput().toString());
        }
        if (resolved.originalInferenceSteps() != null) {
            m.put("original_inference_steps", Integer.toString(resolved.originalInferenceSteps()));
        }
        m.schedule(resolved.timesteps(), resolved.sigmas());
        m.adapters(adapters);
        if (!schedulerOptions.isEmpty()) {
            m.put("scheduler_options", String.join(" ", schedulerOptions));
        }
        return m;
    }

    /** A per-prompt list's entry for prompt {@code i}; null when the list is absent. */
    private static String entry(List<String> values, int i) {
        return values == null || values.isEmpty() ? null : values.get(Math.min(i, values.size() - 1));
    }
}

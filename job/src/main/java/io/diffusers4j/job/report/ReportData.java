// Everything the run report page shows: the summary figures, run settings, sampled thumbnails and error rows.
package io.diffusers4j.job.report;

import io.diffusers4j.job.JobSummary;

import java.util.List;
import java.util.Map;

/**
 * The content of a run report, gathered on the driver with bounded reads (see {@link RunReport}).
 *
 * @param summary     the committed figures of the run (counts, throughput, per-executor figures, builds)
 * @param settings    run settings shown as a table (label → value, in order)
 * @param thumbnails  a bounded sample of ok images, sorted by (id, image_index)
 * @param errors      a bounded sample of error rows, sorted by (source, id)
 * @param generatedAt when the report was written (ISO-8601)
 * @param samples     ok images written as PNG files next to the page
 */
public record ReportData(JobSummary summary, Map<String, String> settings, List<Thumbnail> thumbnails,
                         List<ErrorRow> errors, String generatedAt, List<Thumbnail> samples) {

    public ReportData(JobSummary summary, Map<String, String> settings, List<Thumbnail> thumbnails,
                      List<ErrorRow> errors, String generatedAt) {
        this(summary, settings, thumbnails, errors, generatedAt, List.of());
    }

    /** This report with the first {@code n} of {@code images} as sample files. */
    public ReportData withSamplesFrom(List<Thumbnail> images, int n) {
        return new ReportData(summary, settings, thumbnails, errors, generatedAt,
                List.copyOf(images.subList(0, Math.min(n, images.size()))));
    }

    /**
     * One image of the contact sheet: its generation parameters (SDXL's second prompts, Stable Diffusion 3's third
     * prompts, {@code max_sequence_length}, a custom schedule and the adapters null when not set; adapters as "name:scale, ..." / "name:token, ..."), where it ran, and an
     * embeddable picture.
     */
    public record Thumbnail(String id, int imageIndex, String prompt, String negativePrompt, Long seed,
                            Integer steps, Double guidanceScale, Integer width, Integer height, String scheduler,
                            String prompt2, String negativePrompt2, String prompt3, String negativePrompt3,
                            Integer maxSequenceLength, List<Double> timesteps, List<Double> sigmas,
                            String loras, String textualInversions, String model, String executorId,
                            Long durationMs, String dataUri, byte[] png, Audio audio) {
        /** A clip or an image without Stable Diffusion 3 / FLUX arguments or adapters. */
        public Thumbnail(String id, int imageIndex, String prompt, String negativePrompt, Long seed, Integer steps,
                         Double guidanceScale, Integer width, Integer height, String scheduler, String prompt2,
                         String negativePrompt2, List<Double> timesteps, List<Double> sigmas, String model,
                         String executorId, Long durationMs, String dataUri, byte[] png, Audio audio) {
            this(id, imageIndex, prompt, negativePrompt, seed, steps, guidanceScale, width, height, scheduler,
                    prompt2, negativePrompt2, null, null, null, timesteps, sigmas, null, null, model, executorId,
                    durationMs, dataUri, png, audio);
        }

        /** An image without Stable Diffusion 3 / FLUX arguments or adapters. */
        public Thumbnail(String id, int imageIndex, String prompt, String negativePrompt, Long seed, Integer steps,
                         Double guidanceScale, Integer width, Integer height, String scheduler, String prompt2,
                         String negativePrompt2, List<Double> timesteps, List<Double> sigmas, String model,
                         String executorId, Long durationMs, String dataUri, byte[] png) {
            this(id, imageIndex, prompt, negativePrompt, seed, steps, guidanceScale, width, height, scheduler,
                    prompt2, negativePrompt2, null, null, null, timesteps, sigmas, null, null, model, executorId,
                    durationMs, dataUri, png, null);
        }

        /** The sample file's bytes: the PNG, or the WAV of an audio row. */
        public byte[] file() {
            return audio != null ? audio.wav() : png;
        }

        /** The sample file's extension. */
        public String extension() {
            return audio != null ? "wav" : "png";
        }
    }

    /**
     * The clip of an audio row: its WAV bytes (as in the {@code audio} column), sample rate and length; the page
     * plays it with an {@code <audio>} element ({@code dataUri} null when it is too large to embed).
     */
    public record Audio(byte[] wav, Integer sampleRate, Double lengthSeconds, String dataUri) {
    }

    /** One error row: where it came from, why it failed, and its input text (clipped). */
    public record ErrorRow(String id, int imageIndex, String source, String prompt, String error, String raw) {
    }
}

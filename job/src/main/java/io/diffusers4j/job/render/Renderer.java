// The seam between the job and the pipeline: resolves an image's settings and renders micro-batches.
package io.diffusers4j.job.render;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;

/**
 * What the job asks of a pipeline. The production implementation ({@link PipelineRenderer}) delegates every rule
 * to the loaded pipeline's contract (defaults, accepted arguments, diffusers' checks); tests substitute their own
 * (through {@link PipelineSpec#renderer()}) to inject faults. One instance serves every task of an executor JVM
 * concurrently, so {@link #resolve} and {@link #render} must be thread-safe.
 */
public interface Renderer extends AutoCloseable {
    /**
     * The settings a single call of {@code image} with {@code requested} would use: null fields (steps, guidance,
     * size, {@code max_sequence_length}) become the pipeline's defaults (guidance stays null for a pipeline without a
     * prompt, size for audio, {@code max_sequence_length} for a pipeline without a T5 text encoder). Throws
     * IllegalArgumentException with the pipeline's message when the
     * pipeline refuses that call (a size that is not a multiple of the VAE factor, an argument its {@code __call__}
     * does not take, ...): the image becomes an error row.
     */
    RenderSettings resolve(RenderSettings requested, ImageRequest image);

    /** Class name of the scheduler used when a row names none ("PNDMScheduler"). */
    String schedulerName();

    /** The loaded pipeline's class name, for messages ("StableDiffusionPipeline"). */
    String pipelineName();

    /**
     * Makes the adapters of {@code set} ready for {@link #render} (each file loaded once per JVM and cached) and
     * returns the SHA-256 of each file and the token of each embedding, by the name the row gives. Throws IllegalArgumentException naming the file
     * when one cannot be used (missing, malformed, keys that fit no layer): the images that need it become error
     * rows. A renderer without adapter support refuses every non-empty set.
     */
    default Prepared prepare(AdapterSet set) {
        if (!set.isEmpty()) {
            throw new IllegalArgumentException(pipelineName() + " renders no LoRAs or textual inversions here");
        }
        return Prepared.NONE;
    }

    /** What {@link #prepare} loaded: each file's SHA-256 and each embedding's token, by the name the row gives. */
    record Prepared(Map<String, String> sha256, Map<String, String> tokens) {
        public static final Prepared NONE = new Prepared(Map.of(), Map.of());
    }

    /**
     * Renders one image per request, all with resolved {@code settings} (its adapters active), image i with its own generator seeded with
     * {@code images.get(i).seed()}. Returns exactly {@code images.size()} images in request order, or throws.
     */
    List<BufferedImage> render(RenderSettings settings, List<ImageRequest> images);

    /**
     * As {@link #render}, for pipelines whose output may be audio (an unconditional audio pipeline returns clips):
     * one item per request, in order. By default the images of {@link #render}.
     */
    default List<Rendered> renderItems(RenderSettings settings, List<ImageRequest> images) {
        List<BufferedImage> out = render(settings, images);
        return out == null ? null : out.stream().map(Rendered::of).toList();
    }

    @Override
    void close();
}

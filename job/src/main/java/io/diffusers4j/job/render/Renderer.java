// The seam between the job and the pipeline: renders a micro-batch of images.
package io.diffusers4j.job.render;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Renders micro-batches. The production implementation ({@link PipelineRenderer}) runs one batched
 * {@code StableDiffusionPipeline} call; tests substitute their own (through {@link PipelineSpec#renderer()}) to
 * inject faults. One instance serves every task of an executor JVM concurrently, so {@link #render} must be
 * thread-safe.
 */
public interface Renderer extends AutoCloseable {
    /** Width and height must be multiples of this (2^(len(vae.block_out_channels) - 1)). */
    int vaeScaleFactor();

    /** unet.sample_size * vae_scale_factor. */
    int defaultWidth();

    int defaultHeight();

    /** Class name of the scheduler used when a row names none ("PNDMScheduler"). */
    String schedulerName();

    /** diffusers' default {@code num_inference_steps} of the loaded pipeline (LCM: 4, else 50). */
    int defaultNumInferenceSteps();

    /** diffusers' default {@code guidance_scale} of the loaded pipeline (SD: 7.5, SDXL: 5.0, LCM: 8.5). */
    double defaultGuidanceScale();

    /** Whether it takes SDXL's {@code prompt_2} / {@code negative_prompt_2} ({@link ImageRequest#hasSecondPrompts}). */
    boolean takesSecondPrompts();

    /** The loaded pipeline's class name, for messages ("StableDiffusionPipeline"). */
    String pipelineName();

    /**
     * Renders one image per request, all with {@code settings}, image i with its own generator seeded with
     * {@code images.get(i).seed()}. Returns exactly {@code images.size()} images in request order, or throws.
     */
    List<BufferedImage> render(RenderSettings settings, List<ImageRequest> images);

    @Override
    void close();
}

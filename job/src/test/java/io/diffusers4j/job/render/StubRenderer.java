// A test Renderer with fixed pipeline facts (VAE factor, default size, scheduler, SD's call defaults); subclasses decide how to render.
package io.diffusers4j.job.render;

/**
 * Resolves like a StableDiffusionPipeline with the given VAE factor and default size would (50 steps, guidance
 * 7.5, diffusers' size message, no SDXL second prompts), except that it takes Stable Diffusion 3's
 * {@code prompt_3} / {@code negative_prompt_3} and {@code max_sequence_length} as given (no default: null stays
 * null), so job tests can follow them without a T5 pipeline; {@link #close()} does nothing unless overridden.
 */
public abstract class StubRenderer implements Renderer {
    private final int vaeScaleFactor;
    private final int defaultWidth;
    private final int defaultHeight;
    private final String schedulerName;

    protected StubRenderer(int vaeScaleFactor, int defaultWidth, int defaultHeight, String schedulerName) {
        this.vaeScaleFactor = vaeScaleFactor;
        this.defaultWidth = defaultWidth;
        this.defaultHeight = defaultHeight;
        this.schedulerName = schedulerName;
    }

    /** VAE factor 8, default size 8x8, scheduler "X". */
    protected StubRenderer() {
        this(8, 8, 8, "X");
    }

    @Override
    public RenderSettings resolve(RenderSettings requested, ImageRequest image) {
        int width = requested.width() != null ? requested.width() : defaultWidth;
        int height = requested.height() != null ? requested.height() : defaultHeight;
        if (width % vaeScaleFactor != 0 || height % vaeScaleFactor != 0) {
            throw new IllegalArgumentException("`height` and `width` have to be divisible by " + vaeScaleFactor
                    + " but are " + height + " and " + width + ".");
        }
        if (image.hasSecondPrompts()) {
            throw new IllegalArgumentException("StableDiffusionPipeline does not take "
                    + (image.prompt2() != null ? "prompt_2" : "negative_prompt_2"));
        }
        return requested.with(requested.numInferenceSteps() != null ? requested.numInferenceSteps() : 50,
                requested.guidanceScale() != null ? requested.guidanceScale() : 7.5, width, height,
                requested.maxSequenceLength());
    }

    @Override
    public String schedulerName() {
        return schedulerName;
    }

    @Override
    public String pipelineName() {
        return getClass().getSimpleName();
    }

    @Override
    public void close() {
    }
}

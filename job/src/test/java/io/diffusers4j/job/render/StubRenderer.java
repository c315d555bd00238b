// A test Renderer with fixed pipeline facts (VAE factor, default size, scheduler, SD's call defaults); subclasses decide how to render.
package io.diffusers4j.job.render;

/** The pipeline facts are constructor arguments; {@link #close()} does nothing unless overridden. */
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
    public int vaeScaleFactor() {
        return vaeScaleFactor;
    }

    @Override
    public int defaultWidth() {
        return defaultWidth;
    }

    @Override
    public int defaultHeight() {
        return defaultHeight;
    }

    @Override
    public String schedulerName() {
        return schedulerName;
    }

    /** StableDiffusionPipeline's 50. */
    @Override
    public int defaultNumInferenceSteps() {
        return 50;
    }

    /** StableDiffusionPipeline's 7.5. */
    @Override
    public double defaultGuidanceScale() {
        return 7.5;
    }

    @Override
    public boolean takesSecondPrompts() {
        return false;
    }

    @Override
    public String pipelineName() {
        return getClass().getSimpleName();
    }

    @Override
    public void close() {
    }
}

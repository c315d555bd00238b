// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion.StableDiffusionPipeline (API skeleton).
package io.diffusers4j.pipelines;

import io.diffusers4j.schedulers.Scheduler;

import java.nio.file.Path;
import java.util.Map;

/** Text-to-image Stable Diffusion. */
public class StableDiffusionPipeline extends DiffusionPipeline {
    /** Runs the pipeline ({@code __call__}). Thread-safe: each call uses its own scheduler instance. */
    public ImagePipelineOutput call(StableDiffusionCall args) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** 2^(len(vae.block_out_channels) - 1). */
    public int vaeScaleFactor() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** unet.sample_size * vae_scale_factor. */
    public int defaultHeight() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public int defaultWidth() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The pipeline's scheduler (its config is what {@code Schedulers.create(name, config)} starts from). */
    public Scheduler scheduler() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public void setScheduler(Scheduler scheduler) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public Map<String, Object> components() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public void savePretrained(Path dir, String variant) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public void close() {
    }
}

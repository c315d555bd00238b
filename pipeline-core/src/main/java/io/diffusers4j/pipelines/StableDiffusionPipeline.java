// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion.StableDiffusionPipeline (text-to-image).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.util.Map;

/**
 * Text-to-image Stable Diffusion, diffusers' {@code StableDiffusionPipeline.__call__} step for step: encode the
 * prompt (negative first when guidance is on), set the timesteps, draw the initial noise, denoise with one batched
 * UNet call per step, decode with the VAE.
 */
public class StableDiffusionPipeline extends AbstractStableDiffusionPipeline {
    public StableDiffusionPipeline(StableDiffusionComponents components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    /** A pipeline over shared components (diffusers' {@code StableDiffusionPipeline(**pipe.components)}). */
    public StableDiffusionPipeline(Map<String, Object> components) {
        this(StableDiffusionComponents.from(components), false);
    }

    /** {@code __call__}. */
    public ImagePipelineOutput call(StableDiffusionCall a) {
        int height = a.height() != null ? a.height() : defaultHeight();
        int width = a.width() != null ? a.width() : defaultWidth();
        checkInputs(a, height, width);
        int batch = batchSize(a);
        boolean doCfg = doClassifierFreeGuidance(a);
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            NDArray promptEmbeds = encodePrompt(m, a, batch, doCfg);
            retrieveTimesteps(s, a);
            double[] timesteps = s.timesteps();
            NDArray latents = prepareLatents(m, a, batch * a.numImagesPerPrompt(), unet.config().inChannels,
                    height, width, s);
            latents = denoise(m, s, timesteps, latents, promptEmbeds, doCfg, a, new LoopHooks() { });
            return output(latents, a.outputType());
        }
    }
}

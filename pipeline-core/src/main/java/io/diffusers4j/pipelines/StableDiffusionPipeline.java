// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion.StableDiffusionPipeline (text-to-image).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.CLIP_SKIP;
import static io.diffusers4j.pipelines.CallArgument.CROSS_ATTENTION_KWARGS;
import static io.diffusers4j.pipelines.CallArgument.ETA;
import static io.diffusers4j.pipelines.CallArgument.GUIDANCE_RESCALE;
import static io.diffusers4j.pipelines.CallArgument.LATENTS;
import static io.diffusers4j.pipelines.CallArgument.NEGATIVE_PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.SIGMAS;
import static io.diffusers4j.pipelines.CallArgument.SIZE;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;

/**
 * Text-to-image Stable Diffusion, diffusers' {@code StableDiffusionPipeline.__call__} step for step: encode the
 * prompt (negative first when guidance is on), set the timesteps, draw the initial noise, denoise with one batched
 * UNet call per step, decode with the VAE.
 */
public class StableDiffusionPipeline extends AbstractStableDiffusionPipeline {
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("StableDiffusionPipeline",
            "stable-diffusion", PipelineTask.TEXT_TO_IMAGE,
            CallArgument.setOf(PROMPT, NEGATIVE_PROMPT, SIZE, LATENTS, ETA, GUIDANCE_RESCALE, CLIP_SKIP, TIMESTEPS,
                    SIGMAS, CROSS_ATTENTION_KWARGS),
            CallArgument.setOf(PROMPT),
            (components, config, owns) -> new StableDiffusionPipeline(StableDiffusionComponents.from(components),
                    owns));

    public StableDiffusionPipeline(StableDiffusionComponents components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    /** A pipeline over shared components (diffusers' {@code StableDiffusionPipeline(**pipe.components)}). */
    public StableDiffusionPipeline(Map<String, Object> components) {
        this(StableDiffusionComponents.from(components), false);
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        int batch = args.batchSize();
        boolean doCfg = doClassifierFreeGuidance(args);
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            NDArray promptEmbeds = encodePrompt(m, args, batch, doCfg);
            retrieveTimesteps(scheduler, args);
            double[] timesteps = scheduler.timesteps();
            NDArray latents = prepareLatents(m, args, batch * args.numImagesPerPrompt(), unet.config().inChannels,
                    args.height(), args.width(), scheduler);
            latents = denoise(m, scheduler, timesteps, latents, promptEmbeds, doCfg, args, new LoopHooks() { });
            return output(latents, args.outputType());
        }
    }
}

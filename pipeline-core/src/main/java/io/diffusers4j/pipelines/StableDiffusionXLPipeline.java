// diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl.StableDiffusionXLPipeline (text-to-image).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.CLIP_SKIP;
import static io.diffusers4j.pipelines.CallArgument.CROSS_ATTENTION_KWARGS;
import static io.diffusers4j.pipelines.CallArgument.DENOISING_END;
import static io.diffusers4j.pipelines.CallArgument.ETA;
import static io.diffusers4j.pipelines.CallArgument.GUIDANCE_RESCALE;
import static io.diffusers4j.pipelines.CallArgument.LATENTS;
import static io.diffusers4j.pipelines.CallArgument.MICRO_CONDITIONING;
import static io.diffusers4j.pipelines.CallArgument.NEGATIVE_PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT_2;
import static io.diffusers4j.pipelines.CallArgument.SIGMAS;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;
import static io.diffusers4j.pipelines.CallArgument.SIZE;

/**
 * Stable Diffusion XL text-to-image, diffusers 0.30.3's {@code __call__} step for step: the SDXL prompt encoding
 * and micro-conditioning of {@link AbstractStableDiffusionXLPipeline}, the shared denoising loop (cut by
 * {@code denoising_end}), VAE decoding (in float32 for a {@code force_upcast} VAE under float16). The invisible
 * watermark is not applied: diffusers applies it only when the {@code invisible-watermark} package is installed, and
 * this port behaves as if it is not.
 */
public class StableDiffusionXLPipeline extends AbstractStableDiffusionXLPipeline {
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("StableDiffusionXLPipeline",
            "stable-diffusion-xl", PipelineTask.TEXT_TO_IMAGE,
            CallArgument.setOf(PROMPT, NEGATIVE_PROMPT, SIZE, LATENTS, ETA, GUIDANCE_RESCALE, CLIP_SKIP, TIMESTEPS,
                    SIGMAS, PROMPT_2, MICRO_CONDITIONING, DENOISING_END, CROSS_ATTENTION_KWARGS),
            CallArgument.setOf(PROMPT),
            (components, config, owns) -> new StableDiffusionXLPipeline(StableDiffusionXLComponents.from(components),
                    forceZerosForEmptyPrompt(config), owns));

    public StableDiffusionXLPipeline(StableDiffusionXLComponents c, boolean forceZerosForEmptyPrompt,
                                     boolean ownsComponents) {
        super(c, forceZerosForEmptyPrompt, null, ownsComponents);
    }

    /** A pipeline over shared components with {@code force_zeros_for_empty_prompt} true (diffusers' default). */
    public StableDiffusionXLPipeline(Map<String, Object> components) {
        this(StableDiffusionXLComponents.from(components), true, false);
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        int height = args.height();
        int width = args.width();
        SdxlArguments xl = args.sdxl();
        int batch = args.batchSize();
        int images = batch * args.numImagesPerPrompt();
        boolean doCfg = doClassifierFreeGuidance(args);
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            PromptEmbeddings conditioning = conditioning(m, args, batch, doCfg);
            retrieveTimesteps(scheduler, args);
            double[] timesteps = denoisingEndTimesteps(scheduler, scheduler.timesteps(), xl.denoisingEnd());
            NDArray latents = prepareLatents(m, args, images, unet.config().inChannels, height, width, scheduler);

            // _get_add_time_ids: original_size + crops_coords_top_left + target_size
            NDArray addTimeIds = timeIds(m, flatten(orDefault(xl.originalSize(), height, width),
                    orDefault(xl.cropsCoordsTopLeft(), 0, 0), orDefault(xl.targetSize(), height, width)), false);
            if (doCfg) {
                NDArray negativeTimeIds = xl.negativeOriginalSize() != null && xl.negativeTargetSize() != null
                        ? timeIds(m, flatten(xl.negativeOriginalSize(), orDefault(xl.negativeCropsCoordsTopLeft(), 0,
                                0), xl.negativeTargetSize()), false)
                        : addTimeIds;
                addTimeIds = NDArrays.concat(new NDList(negativeTimeIds, addTimeIds), 0);
            }
            // add_time_ids.repeat(batch_size * num_images_per_prompt, 1): the (negative, positive) PAIR is tiled, so
            // with CFG and several images the rows alternate negative/positive, exactly as diffusers 0.30.3 does
            NDArray timeIds = addTimeIds.tile(new long[] {images, 1});
            latents = denoise(m, scheduler, timesteps, latents, conditioning, timeIds, doCfg, args,
                    new LoopHooks() { });
            return output(latents, args.outputType());
        }
    }
}

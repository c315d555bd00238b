// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_inpaint.StableDiffusionInpaintPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.CLIP_SKIP;
import static io.diffusers4j.pipelines.CallArgument.CROSS_ATTENTION_KWARGS;
import static io.diffusers4j.pipelines.CallArgument.ETA;
import static io.diffusers4j.pipelines.CallArgument.IMAGE;
import static io.diffusers4j.pipelines.CallArgument.LATENTS;
import static io.diffusers4j.pipelines.CallArgument.MASK_IMAGE;
import static io.diffusers4j.pipelines.CallArgument.NEGATIVE_PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.SIGMAS;
import static io.diffusers4j.pipelines.CallArgument.SIZE;
import static io.diffusers4j.pipelines.CallArgument.STRENGTH;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;

/**
 * Inpainting. With a 9-channel UNet the model sees {@code cat([latents, mask, masked_image_latents])}; with a
 * 4-channel UNet the known region is re-noised and blended back after every step (diffusers' legacy path).
 * Random draws in diffusers' order: (4-channel: image latents), noise, masked-image latents.
 */
public class StableDiffusionInpaintPipeline extends AbstractStableDiffusionPipeline {
    public static final double DEFAULT_STRENGTH = 1.0;
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("StableDiffusionInpaintPipeline",
            "stable-diffusion", PipelineTask.INPAINTING,
            CallArgument.setOf(PROMPT, NEGATIVE_PROMPT, SIZE, IMAGE, STRENGTH, MASK_IMAGE, LATENTS, ETA, CLIP_SKIP,
                    TIMESTEPS, SIGMAS, CROSS_ATTENTION_KWARGS),
            CallArgument.setOf(PROMPT, IMAGE, MASK_IMAGE),
            (components, config, owns) -> new StableDiffusionInpaintPipeline(
                    StableDiffusionComponents.from(components), owns));

    public StableDiffusionInpaintPipeline(StableDiffusionComponents components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    public StableDiffusionInpaintPipeline(Map<String, Object> components) {
        this(StableDiffusionComponents.from(components), false);
    }

    @Override
    protected Double defaultStrength() {
        return DEFAULT_STRENGTH;
    }


    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        int height = args.height();
        int width = args.width();
        int batch = args.batchSize();
        int total = batch * args.numImagesPerPrompt();
        boolean doCfg = doClassifierFreeGuidance(args);
        Inpainting inpainting = new Inpainting(this);
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            NDArray promptEmbeds = encodePrompt(m, args, batch, doCfg);
            int numInferenceSteps = retrieveTimesteps(scheduler, args);
            double strength = args.strength();
            double[] timesteps = ImageToImage.strengthTimesteps(scheduler, numInferenceSteps, strength);
            double[] latentTimestep = ImageToImage.latentTimestep(timesteps, total);
            NDArray initImage = preprocess(m, args.image(), height, width);
            Inpainting.InpaintLatents init = inpainting.prepareLatents(m, args, initImage, total, height, width,
                    latentTimestep, strength == 1.0, true, scheduler);
            Inpainting.MaskLatents masks = inpainting.prepareMaskLatents(m, initImage, args.maskImage(), height,
                    width, total, args.generators());
            NDArray latents = denoise(m, scheduler, timesteps, init.latents(), promptEmbeds, doCfg, args,
                    inpainting.hooks(scheduler, timesteps, masks, init.imageLatents(), init.noise(), doCfg));
            return output(latents, args.outputType());
        }
    }
}

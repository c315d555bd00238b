// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_img2img.StableDiffusionImg2ImgPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.awt.image.BufferedImage;
import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.CLIP_SKIP;
import static io.diffusers4j.pipelines.CallArgument.CROSS_ATTENTION_KWARGS;
import static io.diffusers4j.pipelines.CallArgument.ETA;
import static io.diffusers4j.pipelines.CallArgument.IMAGE;
import static io.diffusers4j.pipelines.CallArgument.NEGATIVE_PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.SIGMAS;
import static io.diffusers4j.pipelines.CallArgument.STRENGTH;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;

/**
 * Image-to-image: the input image is encoded by the VAE, noised to the timestep that {@code strength} selects, and
 * denoised from there. The output has the input image's size rounded down to the VAE factor (diffusers' img2img
 * takes no height, width, latents or guidance_rescale). Random draws in diffusers' order: the VAE posterior
 * sample, then the noise.
 */
public class StableDiffusionImg2ImgPipeline extends AbstractStableDiffusionPipeline {
    public static final double DEFAULT_STRENGTH = 0.8;
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("StableDiffusionImg2ImgPipeline",
            "stable-diffusion", PipelineTask.IMAGE_TO_IMAGE,
            CallArgument.setOf(PROMPT, NEGATIVE_PROMPT, IMAGE, STRENGTH, ETA, CLIP_SKIP, TIMESTEPS, SIGMAS, CROSS_ATTENTION_KWARGS),
            CallArgument.setOf(PROMPT, IMAGE),
            (components, config, owns) -> new StableDiffusionImg2ImgPipeline(
                    StableDiffusionComponents.from(components), owns));

    public StableDiffusionImg2ImgPipeline(StableDiffusionComponents components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    public StableDiffusionImg2ImgPipeline(Map<String, Object> components) {
        this(StableDiffusionComponents.from(components), false);
    }

    @Override
    protected Double defaultStrength() {
        return DEFAULT_STRENGTH;
    }

    @Override
    public int[] outputSize(PipelineCall resolved) {
        BufferedImage first = resolved.image().get(0);
        return imageProcessor().getDefaultHeightWidth(first.getHeight(), first.getWidth(), null, null);
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        int[] size = outputSize(args);
        int batch = args.batchSize();
        int total = batch * args.numImagesPerPrompt();
        boolean doCfg = doClassifierFreeGuidance(args);
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            NDArray promptEmbeds = encodePrompt(m, args, batch, doCfg);
            NDArray image = preprocess(m, args.image(), size[0], size[1]);
            int numInferenceSteps = retrieveTimesteps(scheduler, args);
            double[] timesteps = ImageToImage.strengthTimesteps(scheduler, numInferenceSteps, args.strength());
            double[] latentTimestep = ImageToImage.latentTimestep(timesteps, total);
            NDArray latents = new ImageToImage(this).prepareLatents(m, image, latentTimestep, total,
                    args.generators(), scheduler, true);
            latents = denoise(m, scheduler, timesteps, latents, promptEmbeds, doCfg, args, new LoopHooks() { });
            return output(latents, args.outputType());
        }
    }
}

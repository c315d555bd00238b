// diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl_img2img.StableDiffusionXLImg2ImgPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.awt.image.BufferedImage;
import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.AESTHETIC_SCORE;
import static io.diffusers4j.pipelines.CallArgument.CLIP_SKIP;
import static io.diffusers4j.pipelines.CallArgument.CROSS_ATTENTION_KWARGS;
import static io.diffusers4j.pipelines.CallArgument.DENOISING_END;
import static io.diffusers4j.pipelines.CallArgument.DENOISING_START;
import static io.diffusers4j.pipelines.CallArgument.ETA;
import static io.diffusers4j.pipelines.CallArgument.GUIDANCE_RESCALE;
import static io.diffusers4j.pipelines.CallArgument.IMAGE;
import static io.diffusers4j.pipelines.CallArgument.LATENTS;
import static io.diffusers4j.pipelines.CallArgument.MICRO_CONDITIONING;
import static io.diffusers4j.pipelines.CallArgument.NEGATIVE_PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT_2;
import static io.diffusers4j.pipelines.CallArgument.SIGMAS;
import static io.diffusers4j.pipelines.CallArgument.STRENGTH;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;
import static io.diffusers4j.pipelines.CallArgument.IMAGE_LATENTS;

/**
 * Stable Diffusion XL image-to-image, and the SDXL refiner (stabilityai/stable-diffusion-xl-refiner-1.0 names this
 * class): diffusers 0.30.3's {@code __call__} step for step. The image is VAE-encoded (or given as latents), noised
 * to the timestep {@code strength} selects and denoised from there; with {@code denoising_start} (a refiner after a
 * base run cut by {@code denoising_end}) only the timesteps below that point run and no noise is added. With
 * {@code requires_aesthetics_score} (the refiner) the time ids are {@code original_size + crops_coords_top_left +
 * (aesthetic_score,)} instead of ending with {@code target_size}. Random draws in diffusers' order: the VAE
 * posterior sample, then the noise.
 */
public class StableDiffusionXLImg2ImgPipeline extends AbstractStableDiffusionXLPipeline {
    public static final double DEFAULT_STRENGTH = 0.3;
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("StableDiffusionXLImg2ImgPipeline",
            "stable-diffusion-xl", PipelineTask.IMAGE_TO_IMAGE,
            CallArgument.setOf(PROMPT, NEGATIVE_PROMPT, IMAGE, STRENGTH, IMAGE_LATENTS, LATENTS, ETA, GUIDANCE_RESCALE,
                    CLIP_SKIP, TIMESTEPS, SIGMAS, PROMPT_2, MICRO_CONDITIONING, DENOISING_END, DENOISING_START,
                    AESTHETIC_SCORE, CROSS_ATTENTION_KWARGS),
            CallArgument.setOf(PROMPT, IMAGE),
            (components, config, owns) -> new StableDiffusionXLImg2ImgPipeline(
                    StableDiffusionXLComponents.from(components), forceZerosForEmptyPrompt(config),
                    requiresAestheticsScore(config), owns));

    public StableDiffusionXLImg2ImgPipeline(StableDiffusionXLComponents c, boolean forceZerosForEmptyPrompt,
                                            boolean requiresAestheticsScore, boolean ownsComponents) {
        super(c, forceZerosForEmptyPrompt, requiresAestheticsScore, ownsComponents);
    }

    /**
     * A pipeline over shared components (e.g. a StableDiffusionXLPipeline's {@code components()}) with diffusers'
     * defaults: {@code force_zeros_for_empty_prompt} true, {@code requires_aesthetics_score} false.
     */
    public StableDiffusionXLImg2ImgPipeline(Map<String, Object> components) {
        this(StableDiffusionXLComponents.from(components), true, false, false);
    }

    @Override
    protected Double defaultStrength() {
        return DEFAULT_STRENGTH;
    }

    /** The input image's size rounded down to the VAE factor, or the image latents' size times the factor. */
    @Override
    public int[] outputSize(PipelineCall resolved) {
        NDArray latents = resolved.sdxl().imageLatents();
        if (latents != null) {
            return new int[] {(int) latents.getShape().get(2) * vaeScaleFactor(),
                (int) latents.getShape().get(3) * vaeScaleFactor()};
        }
        BufferedImage first = resolved.image().get(0);
        return imageProcessor().getDefaultHeightWidth(first.getHeight(), first.getWidth(), null, null);
    }

    /** The image comes as pixels or as latents, exactly one of them. */
    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        boolean hasImage = call.image() != null && !call.image().isEmpty();
        if (hasImage == (call.sdxl().imageLatents() != null)) {
            throw new IllegalArgumentException("StableDiffusionXLImg2ImgPipeline needs `image`: give an image or "
                    + "image latents (exactly one of them)");
        }
        super.checkPipelineInputs(call);
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        SdxlArguments xl = args.sdxl();
        boolean hasImage = args.image() != null && !args.image().isEmpty();
        boolean doCfg = doClassifierFreeGuidance(args);
        int[] size = outputSize(args);
        Double start = denoisingStart(xl);
        int batch = args.batchSize();
        int total = batch * args.numImagesPerPrompt();
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            PromptEmbeddings conditioning = conditioning(m, args, batch, doCfg);
            NDArray image = hasImage ? preprocess(m, args.image(), size[0], size[1])
                    : given(m, xl.imageLatents(), dtype());
            double[] timesteps = ImageToImage.timesteps(scheduler, retrieveTimesteps(scheduler, args),
                    args.strength(), start);
            NDArray latents;
            if (args.latents() == null) {
                double[] latentTimestep = ImageToImage.latentTimestep(timesteps, total);
                latents = new ImageToImage(this).prepareLatents(m, image, latentTimestep, total, args.generators(),
                        scheduler,
                        start == null);
            } else {
                latents = given(m, args.latents(), dtype());
            }
            NDArray timeIds = imageTimeIds(m, xl, latents, total, doCfg);
            timesteps = denoisingEndTimesteps(scheduler, timesteps, xl.denoisingEnd());
            latents = denoise(m, scheduler, timesteps, latents, conditioning, timeIds, doCfg, args,
                    new LoopHooks() { });
            return output(latents, args.outputType());
        }
    }

    /**
     * The VAE's posterior sample as latents: {@code (x - latents_mean) * scaling_factor / latents_std} when the VAE
     * config has both, else {@code x * scaling_factor}.
     */
    @Override
    protected NDArray scaleLatents(NDArray x) {
        if (vae.latentsMean() == null || vae.latentsStd() == null) {
            return super.scaleLatents(x);
        }
        return x.sub(perChannel(x, vae.latentsMean())).muli((float) vae.scalingFactor()).divi(perChannel(x,
                vae.latentsStd()));
    }
}

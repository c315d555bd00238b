// diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl_inpaint.StableDiffusionXLInpaintPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

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
import static io.diffusers4j.pipelines.CallArgument.MASK_IMAGE;
import static io.diffusers4j.pipelines.CallArgument.SIZE;

/**
 * Stable Diffusion XL inpainting, diffusers 0.30.3's {@code __call__} step for step: the SDXL prompt encoding and
 * image time ids (aesthetic scores with {@code requires_aesthetics_score}), img2img's {@code get_timesteps}
 * (strength, {@code denoising_start}), and the SD inpainting latents and loop: a 9-channel UNet sees
 * {@code cat([latents, mask, masked_image_latents])}, a 4-channel one gets the known region blended back after every
 * step. Its defaults differ from img2img's: strength 0.9999 (so the image latents are noised, not replaced by pure
 * noise), guidance 7.5, size {@code unet.sample_size * vae_scale_factor}. Random draws in diffusers' order: the image
 * latents' posterior sample (when used), the noise, the masked image's posterior sample. {@code padding_mask_crop}
 * and {@code masked_image_latents} are not supported; the image must be pixels, not latents.
 */
public class StableDiffusionXLInpaintPipeline extends AbstractStableDiffusionXLPipeline {
    public static final double DEFAULT_STRENGTH = 0.9999;
    public static final double DEFAULT_GUIDANCE_SCALE = 7.5;
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("StableDiffusionXLInpaintPipeline",
            "stable-diffusion-xl", PipelineTask.INPAINTING,
            CallArgument.setOf(PROMPT, NEGATIVE_PROMPT, SIZE, IMAGE, STRENGTH, MASK_IMAGE, LATENTS, ETA,
                    GUIDANCE_RESCALE, CLIP_SKIP, TIMESTEPS, SIGMAS, PROMPT_2, MICRO_CONDITIONING, DENOISING_END,
                    DENOISING_START, AESTHETIC_SCORE, CROSS_ATTENTION_KWARGS),
            CallArgument.setOf(PROMPT, IMAGE, MASK_IMAGE),
            (components, config, owns) -> new StableDiffusionXLInpaintPipeline(
                    StableDiffusionXLComponents.from(components), forceZerosForEmptyPrompt(config),
                    requiresAestheticsScore(config), owns));

    /**
     * A pipeline over shared components (e.g. a StableDiffusionXLPipeline's {@code components()}) with diffusers'
     * defaults: {@code force_zeros_for_empty_prompt} true, {@code requires_aesthetics_score} false.
     */
    public StableDiffusionXLInpaintPipeline(Map<String, Object> components) {
        this(StableDiffusionXLComponents.from(components), true, false, false);
    }

    @Override
    protected double defaultGuidanceScale() {
        return DEFAULT_GUIDANCE_SCALE;
    }

    @Override
    protected Double defaultStrength() {
        return DEFAULT_STRENGTH;
    }


    public StableDiffusionXLInpaintPipeline(StableDiffusionXLComponents c, boolean forceZerosForEmptyPrompt,
                                            boolean requiresAestheticsScore, boolean ownsComponents) {
        super(c, forceZerosForEmptyPrompt, requiresAestheticsScore, ownsComponents);
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        SdxlArguments xl = args.sdxl();
        double strength = args.strength();
        boolean doCfg = doClassifierFreeGuidance(args);
        int height = args.height();
        int width = args.width();
        Double start = denoisingStart(xl);
        int batch = args.batchSize();
        int total = batch * args.numImagesPerPrompt();
        Inpainting inpainting = new Inpainting(this);
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            PromptEmbeddings conditioning = conditioning(m, args, batch, doCfg);
            double[] timesteps = ImageToImage.timesteps(scheduler, retrieveTimesteps(scheduler, args), strength, start);
            double[] latentTimestep = ImageToImage.latentTimestep(timesteps, total);
            NDArray initImage = preprocess(m, args.image(), height, width);
            Inpainting.InpaintLatents init = inpainting.prepareLatents(m, args, initImage, total, height, width,
                    latentTimestep, strength == 1.0, start == null, scheduler);
            Inpainting.MaskLatents masks = inpainting.prepareMaskLatents(m, initImage, args.maskImage(), height, width,
                    total, args.generators());
            NDArray timeIds = imageTimeIds(m, xl, init.latents(), total, doCfg);
            timesteps = denoisingEndTimesteps(scheduler, timesteps, xl.denoisingEnd());
            NDArray latents = denoise(m, scheduler, timesteps, init.latents(), conditioning, timeIds, doCfg, args,
                    inpainting.hooks(scheduler, timesteps, masks, init.imageLatents(), init.noise(), doCfg));
            return output(latents, args.outputType());
        }
    }
}

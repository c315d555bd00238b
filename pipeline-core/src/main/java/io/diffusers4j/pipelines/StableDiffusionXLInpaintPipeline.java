// diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl_inpaint.StableDiffusionXLInpaintPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.util.Map;

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

    /**
     * A pipeline over shared components (e.g. a StableDiffusionXLPipeline's {@code components()}) with diffusers'
     * defaults: {@code force_zeros_for_empty_prompt} true, {@code requires_aesthetics_score} false.
     */
    public StableDiffusionXLInpaintPipeline(Map<String, Object> components) {
        this(StableDiffusionXLComponents.from(components), true, false, false);
    }

    @Override
    public double defaultGuidanceScale() {
        return DEFAULT_GUIDANCE_SCALE;
    }

    public StableDiffusionXLInpaintPipeline(StableDiffusionXLComponents c, boolean forceZerosForEmptyPrompt,
                                            boolean requiresAestheticsScore, boolean ownsComponents) {
        super(c, forceZerosForEmptyPrompt, requiresAestheticsScore, ownsComponents);
    }

    /** {@code __call__}. */
    public ImagePipelineOutput call(StableDiffusionCall a) {
        if (a.image() == null || a.image().isEmpty() || a.maskImage() == null || a.maskImage().isEmpty()) {
            throw new IllegalArgumentException("inpainting needs `image` and `mask_image`");
        }
        SdxlArguments x = a.sdxl();
        if (x.imageLatents() != null) {
            throw new IllegalArgumentException("image (as latents) is not supported by "
                    + "StableDiffusionXLInpaintPipeline: give the image as pixels");
        }
        checkInpaintUnet();
        double strength = StableDiffusionImg2ImgPipeline.strength(a, DEFAULT_STRENGTH);
        boolean doCfg = doClassifierFreeGuidance(a);
        int height = a.height() != null ? a.height() : defaultHeight();
        int width = a.width() != null ? a.width() : defaultWidth();
        Double start = checkImageInputs(a, height, width);
        int batch = batchSize(a);
        int total = batch * a.numImagesPerPrompt();
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            Conditioning conditioning = conditioning(m, a, batch, doCfg);
            double[] timesteps = StableDiffusionXLImg2ImgPipeline.timesteps(s, retrieveTimesteps(s, a), strength,
                    start);
            double[] latentTimestep = StableDiffusionImg2ImgPipeline.latentTimestep(timesteps, total);
            NDArray initImage = PipelineImages.preprocess(imageProcessor(), m, a.image(), height, width, dtype());
            InpaintLatents init = prepareInpaintLatents(m, a, initImage, total, height, width, latentTimestep,
                    strength == 1.0, start == null, s);
            MaskLatents masks = prepareMaskLatents(m, initImage, a.maskImage(), height, width, total,
                    a.generators());
            NDArray timeIds = imageTimeIds(m, x, init.latents(), total, doCfg);
            timesteps = denoisingEndTimesteps(s, timesteps, x.denoisingEnd());
            NDArray latents = denoise(m, s, timesteps, init.latents(), conditioning, timeIds, doCfg, a,
                    inpaintHooks(s, timesteps, masks, init.imageLatents(), init.noise(), doCfg));
            return output(latents, a.outputType());
        }
    }
}

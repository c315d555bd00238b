// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_inpaint.StableDiffusionInpaintPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.util.Map;

/**
 * Inpainting. With a 9-channel UNet the model sees {@code cat([latents, mask, masked_image_latents])}; with a
 * 4-channel UNet the known region is re-noised and blended back after every step (diffusers' legacy path).
 * Random draws in diffusers' order: (4-channel: image latents), noise, masked-image latents.
 */
public class StableDiffusionInpaintPipeline extends AbstractStableDiffusionPipeline {
    public static final double DEFAULT_STRENGTH = 1.0;

    public StableDiffusionInpaintPipeline(StableDiffusionComponents components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    public StableDiffusionInpaintPipeline(Map<String, Object> components) {
        this(StableDiffusionComponents.from(components), false);
    }

    public ImagePipelineOutput call(StableDiffusionCall a) {
        if (a.image() == null || a.image().isEmpty() || a.maskImage() == null || a.maskImage().isEmpty()) {
            throw new IllegalArgumentException("inpainting needs `image` and `mask_image`");
        }
        double strength = StableDiffusionImg2ImgPipeline.strength(a, DEFAULT_STRENGTH);
        int height = a.height() != null ? a.height() : defaultHeight();
        int width = a.width() != null ? a.width() : defaultWidth();
        checkInputs(a, height, width);
        checkInpaintUnet();
        int batch = batchSize(a);
        int total = batch * a.numImagesPerPrompt();
        boolean doCfg = doClassifierFreeGuidance(a);
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            NDArray promptEmbeds = encodePrompt(m, a, batch, doCfg);
            int numInferenceSteps = retrieveTimesteps(s, a);
            double[] timesteps = StableDiffusionImg2ImgPipeline.strengthTimesteps(s, numInferenceSteps, strength);
            double[] latentTimestep = StableDiffusionImg2ImgPipeline.latentTimestep(timesteps, total);
            boolean isStrengthMax = strength == 1.0;
            NDArray initImage = PipelineImages.preprocess(imageProcessor(), m, a.image(), height, width, dtype());
            InpaintLatents init = prepareInpaintLatents(m, a, initImage, total, height, width, latentTimestep,
                    isStrengthMax, true, s);
            MaskLatents masks = prepareMaskLatents(m, initImage, a.maskImage(), height, width, total,
                    a.generators());
            NDArray latents = denoise(m, s, timesteps, init.latents(), promptEmbeds, doCfg, a, inpaintHooks(s,
                    timesteps, masks, init.imageLatents(), init.noise(), doCfg));
            return output(latents, a.outputType());
        }
    }
}

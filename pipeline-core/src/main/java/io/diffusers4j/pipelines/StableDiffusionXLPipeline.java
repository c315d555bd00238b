// diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl.StableDiffusionXLPipeline (text-to-image).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;

import java.util.Map;

/**
 * Stable Diffusion XL text-to-image, diffusers 0.30.3's {@code __call__} step for step: the SDXL prompt encoding
 * and micro-conditioning of {@link AbstractStableDiffusionXLPipeline}, the shared denoising loop (cut by
 * {@code denoising_end}), VAE decoding (in float32 for a {@code force_upcast} VAE under float16). The invisible
 * watermark is not applied: diffusers applies it only when the {@code invisible-watermark} package is installed, and
 * this port behaves as if it is not.
 */
public class StableDiffusionXLPipeline extends AbstractStableDiffusionXLPipeline {
    public StableDiffusionXLPipeline(StableDiffusionXLComponents c, boolean forceZerosForEmptyPrompt,
                                     boolean ownsComponents) {
        super(c, forceZerosForEmptyPrompt, null, ownsComponents);
    }

    /** A pipeline over shared components with {@code force_zeros_for_empty_prompt} true (diffusers' default). */
    public StableDiffusionXLPipeline(Map<String, Object> components) {
        this(StableDiffusionXLComponents.from(components), true, false);
    }

    /** {@code __call__}. */
    public ImagePipelineOutput call(StableDiffusionCall a) {
        int height = a.height() != null ? a.height() : defaultHeight();
        int width = a.width() != null ? a.width() : defaultWidth();
        checkInputs(a, height, width);
        checkSdxlInputs(a);
        SdxlArguments x = a.sdxl();
        String img2imgOnly = x.firstImg2ImgOnly();
        if (img2imgOnly != null) {
            throw new IllegalArgumentException(img2imgOnly + " is an argument of StableDiffusionXLImg2ImgPipeline, "
                    + "not of StableDiffusionXLPipeline");
        }
        int batch = batchSize(a);
        int images = batch * a.numImagesPerPrompt();
        boolean doCfg = doClassifierFreeGuidance(a);
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            Conditioning conditioning = conditioning(m, a, batch, doCfg);
            retrieveTimesteps(s, a);
            double[] timesteps = denoisingEndTimesteps(s, s.timesteps(), x.denoisingEnd());
            NDArray latents = prepareLatents(m, a, images, unet.config().inChannels, height, width, s);

            // _get_add_time_ids: original_size + crops_coords_top_left + target_size
            NDArray addTimeIds = timeIds(m, flatten(orDefault(x.originalSize(), height, width),
                    orDefault(x.cropsCoordsTopLeft(), 0, 0), orDefault(x.targetSize(), height, width)), false);
            if (doCfg) {
                NDArray negativeTimeIds = x.negativeOriginalSize() != null && x.negativeTargetSize() != null
                        ? timeIds(m, flatten(x.negativeOriginalSize(), orDefault(x.negativeCropsCoordsTopLeft(), 0,
                                0), x.negativeTargetSize()), false)
                        : addTimeIds;
                addTimeIds = NDArrays.concat(new NDList(negativeTimeIds, addTimeIds), 0);
            }
            // add_time_ids.repeat(batch_size * num_images_per_prompt, 1): the (negative, positive) PAIR is tiled, so
            // with CFG and several images the rows alternate negative/positive, exactly as diffusers 0.30.3 does
            NDArray timeIds = addTimeIds.tile(new long[] {images, 1});
            latents = denoise(m, s, timesteps, latents, conditioning, timeIds, doCfg, a, new LoopHooks() { });
            return output(latents, a.outputType());
        }
    }
}

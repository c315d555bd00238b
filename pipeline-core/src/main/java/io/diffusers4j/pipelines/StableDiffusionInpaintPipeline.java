// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_inpaint.StableDiffusionInpaintPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.RandnTensor;

import java.util.Arrays;
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
        int unetChannels = unet.config().inChannels;
        int latentChannels = vae.config().latentChannels;
        if (unetChannels != 4 && unetChannels != latentChannels * 2 + 1) {
            throw new IllegalArgumentException("The unet should have either 4 or " + (latentChannels * 2 + 1)
                    + " input channels, not " + unetChannels);
        }
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
            boolean returnImageLatents = unetChannels == 4;
            checkGenerators(a.generators(), total);

            // prepare_latents
            Shape shape = new Shape(total, latentChannels, height / vaeScaleFactor(), width / vaeScaleFactor());
            NDArray imageLatents = null;
            if (returnImageLatents || (a.latents() == null && !isStrengthMax)) {
                imageLatents = encodeVaeImage(initImage, a.generators());
                imageLatents = StableDiffusionImg2ImgPipeline.repeatBatch(imageLatents, total, "image");
            }
            NDArray noise;
            NDArray latents;
            if (a.latents() == null) {
                noise = RandnTensor.randnTensor(m, shape, a.generators(), dtype());
                latents = isStrengthMax ? noise.mul((float) s.initNoiseSigma())
                        : s.addNoise(imageLatents, noise, latentTimestep);
            } else {
                noise = a.latents().toDevice(m.getDevice(), true).toType(dtype(), false);
                noise.attach(m);
                latents = noise.mul((float) s.initNoiseSigma());
            }

            // prepare_mask_latents
            NDArray maskCondition = PipelineImages.preprocess(maskProcessor(), m, a.maskImage(), height, width, dtype());
            NDArray keep = maskCondition.lt(0.5f).toType(initImage.getDataType(), false);
            NDArray maskedImage = initImage.mul(keep);
            NDArray mask = StableDiffusionImg2ImgPipeline.repeatBatch(PipelineImages.resizeNearest(maskCondition,
                    height / vaeScaleFactor(), width / vaeScaleFactor()), total, "mask");
            NDArray maskedImageLatents = StableDiffusionImg2ImgPipeline.repeatBatch(
                    encodeVaeImage(maskedImage, a.generators()), total, "image");
            NDArray maskCfg = cfgInput(mask, doCfg);
            NDArray maskedCfg = cfgInput(maskedImageLatents, doCfg);

            NDArray knownLatents = imageLatents;
            NDArray blendNoise = noise;
            latents = denoise(m, s, timesteps, latents, promptEmbeds, doCfg, a, new LoopHooks() {
                @Override
                public NDArray unetInput(NDArray scaled) {
                    return unetChannels == 4 ? scaled : NDArrays.concat(new NDList(scaled, maskCfg, maskedCfg), 1);
                }

                @Override
                public NDArray afterStep(int i, NDArray next) {
                    if (unetChannels != 4) {
                        return next;
                    }
                    // the known region, re-noised to the next timestep: (1 - mask) * init + mask * latents
                    NDArray initLatentsProper = knownLatents;
                    if (i < timesteps.length - 1) {
                        double[] noiseTimestep = new double[total];
                        Arrays.fill(noiseTimestep, timesteps[i + 1]);
                        initLatentsProper = s.addNoise(knownLatents, blendNoise, noiseTimestep);
                    }
                    return next.mul(mask).addi(initLatentsProper.mul(mask.neg().addi(1f)));
                }
            });
            return output(latents, a.outputType());
        }
    }
}

// The inpainting parts of diffusers' StableDiffusion(XL)InpaintPipeline: prepare_latents, prepare_mask_latents, the loop.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;

/**
 * What inpainting adds to a Stable Diffusion pipeline (SD and SDXL alike): the UNet check, the latents that start
 * the loop (noise, or the image latents noised to the first timestep), the mask and masked-image latents, and the
 * loop hooks (a 9-channel UNet sees them concatenated; a 4-channel one gets the known region blended back).
 */
final class Inpainting {
    private final AbstractStableDiffusionPipeline pipe;

    Inpainting(AbstractStableDiffusionPipeline pipe) {
        this.pipe = pipe;
    }


    /** An inpainting UNet takes 4 channels (the blend) or latents + mask + masked-image latents. */
    void checkUnet() {
        int unetChannels = pipe.unet().config().inChannels;
        int latentChannels = pipe.vae().latentChannels();
        if (unetChannels != 4 && unetChannels != latentChannels * 2 + 1) {
            throw new IllegalArgumentException("The unet should have either 4 or " + (latentChannels * 2 + 1)
                    + " input channels, not " + unetChannels);
        }
    }

    /** prepare_latents of inpainting: the loop's first latents, the noise, and the image latents (or null). */
    record InpaintLatents(NDArray latents, NDArray noise, NDArray imageLatents) {
    }

    /**
     * prepare_latents of inpainting (return_noise, return_image_latents for a 4-channel UNet). The image latents
     * (VAE-encoded with the generators, repeated to the batch) when the 4-channel blend needs them or strength
     * below 1 starts from them; then, drawing the noise: strength 1 starts from noise * init_noise_sigma, below 1
     * from the image latents noised to {@code latentTimestep}; given latents are the noise (times
     * init_noise_sigma); without {@code addNoise} (SDXL's denoising_start) the noise is drawn but the loop starts
     * from the image latents.
     */
    InpaintLatents prepareLatents(NDManager m, PipelineCall args, NDArray initImage, int batch,
                                                   int height, int width, double[] latentTimestep,
                                                   boolean isStrengthMax, boolean addNoise, Scheduler scheduler) {
        AbstractStableDiffusionPipeline.checkGenerators(args.generators(), batch);
        Shape shape = new Shape(batch, pipe.vae().latentChannels(), height / pipe.vaeScaleFactor(),
                width / pipe.vaeScaleFactor());
        NDArray imageLatents = null;
        if (pipe.unet().config().inChannels == 4 || (args.latents() == null && !isStrengthMax)) {
            imageLatents = ImageToImage.repeatBatch(pipe.encodeVaeImage(initImage, args.generators()), batch,
                    "image");
        }
        if (args.latents() != null && addNoise) {
            NDArray noise = DiffusionPipeline.given(m, args.latents(), pipe.dtype());
            return new InpaintLatents(noise.mul((float) scheduler.initNoiseSigma()), noise, imageLatents);
        }
        NDArray noise = RandnTensor.randnTensor(m, shape, args.generators(), pipe.dtype());
        if (!addNoise) {
            if (imageLatents == null) {
                throw new IllegalArgumentException("denoising_start with strength 1 and a 9-channel UNet has no image "
                        + "latents to start from; give a strength below 1");
            }
            return new InpaintLatents(imageLatents, noise, imageLatents);
        }
        NDArray latents = isStrengthMax ? noise.mul((float) scheduler.initNoiseSigma())
                : scheduler.addNoise(imageLatents, noise, latentTimestep);
        return new InpaintLatents(latents, noise, imageLatents);
    }

    /** prepare_mask_latents' outputs before the CFG doubling: the mask at latent size, the masked image's latents. */
    record MaskLatents(NDArray mask, NDArray maskedImageLatents) {
    }

    /**
     * The mask processor's binarised mask, {@code masked_image = image * (mask < 0.5)}, the mask resized (nearest)
     * to the latents and the masked image VAE-encoded with the generators, both repeated to {@code batch}.
     */
    MaskLatents prepareMaskLatents(NDManager m, NDArray initImage, List<BufferedImage> maskImage,
                                             int height, int width, int batch, List<TorchGenerator> gens) {
        NDArray maskCondition = PipelineImages.preprocess(pipe.maskProcessor(), m, maskImage, height, width,
                pipe.dtype());
        NDArray keep = maskCondition.lt(0.5f).toType(initImage.getDataType(), false);
        NDArray maskedImage = initImage.mul(keep);
        NDArray mask = ImageToImage.repeatBatch(PipelineImages.resizeNearest(maskCondition,
                height / pipe.vaeScaleFactor(), width / pipe.vaeScaleFactor()), batch, "mask");
        NDArray maskedImageLatents = ImageToImage.repeatBatch(pipe.encodeVaeImage(maskedImage, gens),
                batch, "image");
        return new MaskLatents(mask, maskedImageLatents);
    }

    /**
     * The inpainting loop's hooks: a 9-channel UNet sees {@code cat([latents, mask, masked_image_latents])}; with a
     * 4-channel UNet, after every step the known region ({@code imageLatents} re-noised with {@code noise} to the
     * next timestep) is blended back: {@code (1 - mask) * known + mask * latents}.
     */
    AbstractStableDiffusionPipeline.LoopHooks hooks(Scheduler scheduler, double[] timesteps, MaskLatents masks,
                                                    NDArray imageLatents,
                                     NDArray noise, boolean doCfg) {
        boolean nineChannels = pipe.unet().config().inChannels != 4;
        NDArray maskCfg = AbstractStableDiffusionPipeline.cfgInput(masks.mask(), doCfg);
        NDArray maskedCfg = AbstractStableDiffusionPipeline.cfgInput(masks.maskedImageLatents(), doCfg);
        NDArray mask = masks.mask();
        int total = (int) mask.getShape().get(0);
        return new AbstractStableDiffusionPipeline.LoopHooks() {
            @Override
            public NDArray unetInput(NDArray scaled) {
                return nineChannels ? NDArrays.concat(new NDList(scaled, maskCfg, maskedCfg), 1) : scaled;
            }

            @Override
            public NDArray afterStep(int i, NDArray next) {
                if (nineChannels) {
                    return next;
                }
                NDArray initLatentsProper = imageLatents;
                if (i < timesteps.length - 1) {
                    double[] noiseTimestep = new double[total];
                    Arrays.fill(noiseTimestep, timesteps[i + 1]);
                    initLatentsProper = scheduler.addNoise(imageLatents, noise, noiseTimestep);
                }
                return next.mul(mask).addi(initLatentsProper.mul(mask.neg().addi(1f)));
            }
        };
    }
}

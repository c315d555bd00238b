// diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl_img2img.StableDiffusionXLImg2ImgPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

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

    /** {@code __call__}. */
    public ImagePipelineOutput call(StableDiffusionCall a) {
        SdxlArguments x = a.sdxl();
        boolean hasImage = a.image() != null && !a.image().isEmpty();
        if (hasImage == (x.imageLatents() != null)) {
            throw new IllegalArgumentException("StableDiffusionXLImg2ImgPipeline needs `image`: give an image or "
                    + "image latents (exactly one of them)");
        }
        double strength = StableDiffusionImg2ImgPipeline.strength(a, DEFAULT_STRENGTH);
        boolean doCfg = doClassifierFreeGuidance(a);
        int[] size = hasImage ? imageProcessor().getDefaultHeightWidth(a.image().get(0).getHeight(),
                a.image().get(0).getWidth(), a.height(), a.width()) : latentSize(x.imageLatents());
        Double start = checkImageInputs(a, size[0], size[1]);
        int batch = batchSize(a);
        int total = batch * a.numImagesPerPrompt();
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            Conditioning conditioning = conditioning(m, a, batch, doCfg);
            NDArray image = hasImage ? PipelineImages.preprocess(imageProcessor(), m, a.image(), size[0], size[1],
                    dtype()) : given(m, x.imageLatents());
            double[] timesteps = timesteps(s, retrieveTimesteps(s, a), strength, start);
            NDArray latents;
            if (a.latents() == null) {
                double[] latentTimestep = StableDiffusionImg2ImgPipeline.latentTimestep(timesteps, total);
                latents = prepareLatents(m, image, latentTimestep, total, a.generators(), s, start == null);
            } else {
                latents = given(m, a.latents());
            }
            NDArray timeIds = imageTimeIds(m, x, latents, total, doCfg);
            timesteps = denoisingEndTimesteps(s, timesteps, x.denoisingEnd());
            latents = denoise(m, s, timesteps, latents, conditioning, timeIds, doCfg, a, new LoopHooks() { });
            return output(latents, a.outputType());
        }
    }

    private int[] latentSize(NDArray latents) {
        return new int[] {(int) latents.getShape().get(2) * vaeScaleFactor(),
            (int) latents.getShape().get(3) * vaeScaleFactor()};
    }

    /**
     * get_timesteps. Without {@code denoising_start}: strength's {@code t_start * order} onwards (SDXL img2img sets
     * no begin index: add_noise and the first step look the timestep up in the schedule). With it: the last
     * {@code n} timesteps, n those below {@code round(T - denoising_start * T)}, plus one for a second-order
     * scheduler when n is even (so the cut never falls between a 2nd-order step's two halves).
     */
    static double[] timesteps(Scheduler s, int numInferenceSteps, double strength, Double denoisingStart) {
        double[] all = s.timesteps();
        if (denoisingStart == null) {
            int from = StableDiffusionImg2ImgPipeline.strengthStart(s, numInferenceSteps, strength);
            return Arrays.copyOfRange(all, from, all.length);
        }
        double cutoff = discreteTimestepCutoff(s, denoisingStart);
        int n = 0;
        for (double t : all) {
            if (t < cutoff) {
                n++;
            }
        }
        if (s.order() == 2 && n % 2 == 0) {
            n++;
        }
        // timesteps[-n:] with n = 0 is Python's timesteps[0:], the whole schedule
        return n == 0 || n >= all.length ? all : Arrays.copyOfRange(all, all.length - n, all.length);
    }

    /**
     * prepare_latents: image latents as they are (the VAE's latent channels), else the image VAE-encoded (image i
     * with generator i for a generator list, the image repeated to the batch first), repeated to the batch; then
     * the noise added at {@code timestep} when {@code addNoise}.
     */
    private NDArray prepareLatents(NDManager m, NDArray image, double[] timestep, int batch,
                                   List<TorchGenerator> gens, Scheduler s, boolean addNoise) {
        NDArray init;
        if (image.getShape().get(1) == vae.config().latentChannels) {
            init = image;
        } else {
            checkGenerators(gens, batch);
            if (gens.size() > 1 && image.getShape().get(0) < batch) {
                image = StableDiffusionImg2ImgPipeline.repeatBatch(image, batch, "image");
            }
            init = encodeVaeImage(image, gens);
        }
        init = StableDiffusionImg2ImgPipeline.repeatBatch(init, batch, "image");
        if (!addNoise) {
            return init;
        }
        NDArray noise = RandnTensor.randnTensor(m, init.getShape(), gens, dtype());
        return s.addNoise(init, noise, timestep);
    }

    /**
     * The VAE's posterior sample as latents: {@code (x - latents_mean) * scaling_factor / latents_std} when the VAE
     * config has both, else {@code x * scaling_factor}.
     */
    @Override
    protected NDArray scaleLatents(NDArray x) {
        AutoencoderKLConfig cfg = vae.config();
        if (cfg.latentsMean == null || cfg.latentsStd == null) {
            return super.scaleLatents(x);
        }
        return x.sub(perChannel(x, cfg.latentsMean)).muli((float) cfg.scalingFactor).divi(perChannel(x,
                cfg.latentsStd));
    }
}

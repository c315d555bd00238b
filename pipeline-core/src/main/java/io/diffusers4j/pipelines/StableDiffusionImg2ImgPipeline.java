// diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion_img2img.StableDiffusionImg2ImgPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Image-to-image: the input image is encoded by the VAE, noised to the timestep that {@code strength} selects, and
 * denoised from there. Random draws in diffusers' order: the VAE posterior sample, then the noise.
 */
public class StableDiffusionImg2ImgPipeline extends AbstractStableDiffusionPipeline {
    public static final double DEFAULT_STRENGTH = 0.8;

    public StableDiffusionImg2ImgPipeline(StableDiffusionComponents components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    public StableDiffusionImg2ImgPipeline(Map<String, Object> components) {
        this(StableDiffusionComponents.from(components), false);
    }

    public ImagePipelineOutput call(StableDiffusionCall a) {
        if (a.image() == null || a.image().isEmpty()) {
            throw new IllegalArgumentException("img2img needs `image`");
        }
        double strength = strength(a, DEFAULT_STRENGTH);
        int[] size = imageProcessor().getDefaultHeightWidth(a.image().get(0).getHeight(), a.image().get(0).getWidth(),
                a.height(), a.width());
        checkInputs(a, size[0], size[1]);
        int batch = batchSize(a);
        int total = batch * a.numImagesPerPrompt();
        boolean doCfg = doClassifierFreeGuidance(a);
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            NDArray promptEmbeds = encodePrompt(m, a, batch, doCfg);
            NDArray image = PipelineImages.preprocess(imageProcessor(), m, a.image(), size[0], size[1], dtype());
            int numInferenceSteps = retrieveTimesteps(s, a);
            double[] timesteps = strengthTimesteps(s, numInferenceSteps, strength);
            double[] latentTimestep = latentTimestep(timesteps, total);
            NDArray latents = prepareLatents(m, image, latentTimestep, total, a.generators(), s);
            latents = denoise(m, s, timesteps, latents, promptEmbeds, doCfg, a, new LoopHooks() { });
            return output(latents, a.outputType());
        }
    }

    /** The call's {@code strength}, {@code dflt} when it sets none; it must lie in [0, 1]. */
    static double strength(StableDiffusionCall a, double dflt) {
        double strength = a.strength() == null ? dflt : a.strength();
        if (!(strength >= 0 && strength <= 1)) {
            throw new IllegalArgumentException("The value of strength should in [0.0, 1.0] but is " + strength);
        }
        return strength;
    }

    /** {@code timesteps[:1].repeat(n)}: the timestep the image latents are noised to, once per image. */
    static double[] latentTimestep(double[] timesteps, int n) {
        double[] out = new double[n];
        Arrays.fill(out, timesteps[0]);
        return out;
    }

    /**
     * get_timesteps: {@code init = min(int(n * strength), n)}, {@code t_start = max(n - init, 0)}, the scheduler's
     * timesteps from {@code t_start * order}, and {@code set_begin_index(t_start * order)}.
     */
    static double[] strengthTimesteps(Scheduler s, int numInferenceSteps, double strength) {
        int from = strengthStart(s, numInferenceSteps, strength);
        s.setBeginIndex(from);
        return Arrays.copyOfRange(s.timesteps(), from, s.timesteps().length);
    }

    /**
     * {@code t_start * order} of get_timesteps: the index of the first timestep that strength leaves, an error when
     * it leaves none.
     */
    static int strengthStart(Scheduler s, int numInferenceSteps, double strength) {
        int initTimestep = Math.min((int) (numInferenceSteps * strength), numInferenceSteps);
        int tStart = Math.max(numInferenceSteps - initTimestep, 0);
        int from = tStart * s.order();
        if (from >= s.timesteps().length) {
            throw new IllegalArgumentException("strength " + strength + " with num_inference_steps "
                    + numInferenceSteps + " leaves no denoising step; raise strength or num_inference_steps");
        }
        return from;
    }

    /** prepare_latents of img2img: encode (with the generators), scale, repeat per image, add noise. */
    private NDArray prepareLatents(NDManager m, NDArray image, double[] timestep, int batch,
                                   List<TorchGenerator> gens, Scheduler s) {
        checkGenerators(gens, batch);
        if (gens.size() > 1 && image.getShape().get(0) < batch) {
            image = repeatBatch(image, batch, "image");
        }
        NDArray init = repeatBatch(encodeVaeImage(image, gens), batch, "image");
        Shape shape = init.getShape();
        NDArray noise = RandnTensor.randnTensor(m, shape, gens, dtype());
        return s.addNoise(init, noise, timestep);
    }

    /** torch.cat([x] * (batch / x.shape[0])) when the batch is a multiple of x's; an error when it is not. */
    static NDArray repeatBatch(NDArray x, int batch, String what) {
        long have = x.getShape().get(0);
        if (have == batch) {
            return x;
        }
        if (batch < have || batch % have != 0) {
            throw new IllegalArgumentException("Cannot duplicate `" + what + "` of batch size " + have
                    + " to effective batch_size " + batch);
        }
        NDList copies = new NDList();
        for (long i = 0; i < batch / have; i++) {
            copies.add(x);
        }
        return NDArrays.concat(copies, 0);
    }
}

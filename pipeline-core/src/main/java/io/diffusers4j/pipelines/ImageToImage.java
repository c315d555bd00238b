// The image-to-image parts of diffusers' img2img / inpaint pipelines (SD and SDXL): get_timesteps, prepare_latents.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.util.Arrays;
import java.util.List;

/**
 * What starting from an input image adds to a Stable Diffusion pipeline: the schedule {@code strength} (or SDXL's
 * {@code denoising_start}) leaves, the timestep the image latents are noised to, and the initial latents (the image
 * VAE-encoded with the call's generators, repeated to the batch, noised).
 */
final class ImageToImage {
    private final AbstractStableDiffusionPipeline pipe;

    ImageToImage(AbstractStableDiffusionPipeline pipe) {
        this.pipe = pipe;
    }

    /** {@code timesteps[:1].repeat(n)}: the timestep the image latents are noised to, once per image. */
    static double[] latentTimestep(double[] timesteps, int n) {
        double[] out = new double[n];
        Arrays.fill(out, timesteps[0]);
        return out;
    }

    /**
     * SD's get_timesteps: {@code init = min(int(n * strength), n)}, {@code t_start = max(n - init, 0)}, the
     * scheduler's timesteps from {@code t_start * order}, and {@code set_begin_index(t_start * order)}.
     */
    static double[] strengthTimesteps(Scheduler scheduler, int numInferenceSteps, double strength) {
        int from = strengthStart(scheduler, numInferenceSteps, strength);
        scheduler.setBeginIndex(from);
        return Arrays.copyOfRange(scheduler.timesteps(), from, scheduler.timesteps().length);
    }

    /**
     * SDXL's get_timesteps. Without {@code denoising_start}: strength's {@code t_start * order} onwards (SDXL sets no
     * begin index: add_noise and the first step look the timestep up in the schedule). With it: the last {@code n}
     * timesteps, n those below {@code round(T - denoising_start * T)}, plus one for a second-order scheduler when n
     * is even (so the cut never falls between a 2nd-order step's two halves).
     */
    static double[] timesteps(Scheduler scheduler, int numInferenceSteps, double strength, Double denoisingStart) {
        double[] all = scheduler.timesteps();
        if (denoisingStart == null) {
            int from = strengthStart(scheduler, numInferenceSteps, strength);
            return Arrays.copyOfRange(all, from, all.length);
        }
        double cutoff = AbstractStableDiffusionXLPipeline.discreteTimestepCutoff(scheduler, denoisingStart);
        int n = 0;
        for (double t : all) {
            if (t < cutoff) {
                n++;
            }
        }
        if (scheduler.order() == 2 && n % 2 == 0) {
            n++;
        }
        // timesteps[-n:] with n = 0 is Python's timesteps[0:], the whole schedule
        return n == 0 || n >= all.length ? all : Arrays.copyOfRange(all, all.length - n, all.length);
    }

    /**
     * {@code t_start * order} of get_timesteps: the index of the first timestep that strength leaves, an error when
     * it leaves none.
     */
    static int strengthStart(Scheduler scheduler, int numInferenceSteps, double strength) {
        int initTimestep = Math.min((int) (numInferenceSteps * strength), numInferenceSteps);
        int tStart = Math.max(numInferenceSteps - initTimestep, 0);
        int from = tStart * scheduler.order();
        if (from >= scheduler.timesteps().length) {
            throw new IllegalArgumentException("strength " + strength + " with num_inference_steps "
                    + numInferenceSteps + " leaves no denoising step; raise strength or num_inference_steps");
        }
        return from;
    }

    /**
     * prepare_latents: image latents as they are (an input with the VAE's latent channels), else the image
     * VAE-encoded (image i with generator i for a generator list, the image repeated to the batch first), repeated
     * to the batch; then the noise added at {@code timestep} when {@code addNoise}. Random draws in diffusers'
     * order: the VAE posterior sample, then the noise.
     */
    NDArray prepareLatents(NDManager m, NDArray image, double[] timestep, int batch, List<TorchGenerator> gens,
                           Scheduler scheduler, boolean addNoise) {
        NDArray init;
        if (image.getShape().get(1) == pipe.vae().latentChannels()) {
            init = image;
        } else {
            AbstractStableDiffusionPipeline.checkGenerators(gens, batch);
            if (gens.size() > 1 && image.getShape().get(0) < batch) {
                image = repeatBatch(image, batch, "image");
            }
            init = pipe.encodeVaeImage(image, gens);
        }
        init = repeatBatch(init, batch, "image");
        if (!addNoise) {
            return init;
        }
        NDArray noise = RandnTensor.randnTensor(m, init.getShape(), gens, pipe.dtype());
        return scheduler.addNoise(init, noise, timestep);
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

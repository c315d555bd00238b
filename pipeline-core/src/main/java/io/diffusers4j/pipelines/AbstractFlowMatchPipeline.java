// What diffusers' Stable Diffusion 3 and FLUX pipelines share: a transformer denoiser on flow-matching latents,
// decoded by an AutoencoderKL with scaling_factor and shift_factor.
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.image.VaeImageProcessor;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.RandnTensor;


/**
 * The parts of {@code StableDiffusion3Pipeline} and {@code FluxPipeline} (diffusers 0.30.3) that do not depend on
 * the transformer: defaults ({@code height = default_sample_size * vae_scale_factor}), diffusers' {@code check_inputs}
 * size rule (multiples of 8), the call's own scheduler copy, seeded latents, the denoising loop around one
 * transformer call per step (each step in its own sub-manager), and decoding
 * ({@code latents / scaling_factor + shift_factor}).
 */
public abstract class AbstractFlowMatchPipeline extends DiffusionPipeline {
    /** diffusers' check_inputs of both pipelines: {@code height % 8 != 0 or width % 8 != 0}. */
    static final int SIZE_MULTIPLE = 8;
    protected final VaeModel vae;
    protected volatile Scheduler scheduler;
    /** Parent of every call's sub-manager, on the pipeline's device. */
    protected final NDManager manager;
    private final boolean ownsComponents;
    /** T5 rows of repeated prompts (bounded; see {@link #setTextEmbeddingCacheSize}). */
    protected final TextEmbeddingCache embeddingCache;

    protected AbstractFlowMatchPipeline(VaeModel vae, Scheduler scheduler, Device device, boolean ownsComponents) {
        this.vae = vae;
        this.scheduler = scheduler;
        this.ownsComponents = ownsComponents;
        this.manager = NDManager.newBaseManager(device);
        this.embeddingCache = new TextEmbeddingCache(manager, textEmbeddingCacheSize());
    }

    /** Rows of the T5 encoder's output kept for repeated prompts (the CLIP encoders are cheap and not cached). */
    @Override
    public void setTextEmbeddingCacheSize(int rows) {
        super.setTextEmbeddingCacheSize(rows);
        embeddingCache.setCapacity(rows);
    }

    /** {hits, misses} of the T5 embedding cache, in prompt rows. */
    public long[] textEmbeddingCacheStats() {
        return embeddingCache.stats();
    }

    /** The pipeline's {@code vae_scale_factor} (Stable Diffusion 3: the VAE's; FLUX: twice it, for the packing). */
    public abstract int vaeScaleFactor();

    /** {@code default_sample_size}: the latent size of the default image. */
    protected abstract int defaultSampleSize();

    protected abstract int defaultNumInferenceSteps();

    protected abstract double defaultGuidanceScale();

    /** The default {@code max_sequence_length} of the T5 prompt. */
    protected abstract int defaultMaxSequenceLength();

    /** The dtype the transformer runs in (latents and embeddings are cast to it). */
    public abstract DataType dtype();

    @Override
    public PipelineDefaults defaults() {
        int size = defaultSampleSize() * vaeScaleFactor();
        return new PipelineDefaults(defaultNumInferenceSteps(), defaultGuidanceScale(), null, size, size,
                SIZE_MULTIPLE, defaultMaxSequenceLength());
    }

    /** The size a resolved call produces: height and width rounded down to {@link #outputMultiple()}. */
    @Override
    public int[] outputSize(PipelineCall resolved) {
        int[] size = requestedSize(resolved);
        int f = outputMultiple();
        return new int[] {size[0] / f * f, size[1] / f * f};
    }

    /** The call's height and width as given (an error when it has none). */
    protected int[] requestedSize(PipelineCall call) {
        return super.outputSize(call);
    }

    /** What the decoded image's sides are multiples of (the latent grid the transformer works on). */
    protected int outputMultiple() {
        return vaeScaleFactor();
    }

    @Override
    public long[] outputShape(PipelineCall resolved, String outputType) {
        return outputType.equals("latent") ? null : super.outputShape(resolved, outputType);
    }

    /** diffusers' size check (multiples of 8), then the latent grid the transformer can patch. */
    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        int[] size = requestedSize(call);
        if (size[0] % SIZE_MULTIPLE != 0 || size[1] % SIZE_MULTIPLE != 0) {
            throw new IllegalArgumentException("`height` and `width` have to be divisible by " + SIZE_MULTIPLE
                    + " but are " + size[0] + " and " + size[1] + ".");
        }
        if (call.promptEmbeds() != null && call.sdxl().pooledPromptEmbeds() == null) {
            throw new IllegalArgumentException("If `prompt_embeds` are provided, `pooled_prompt_embeds` also have to be "
                    + "passed. Make sure to generate `pooled_prompt_embeds` from the same text encoder that was used "
                    + "to generate `prompt_embeds`.");
        }
        if (call.sdxl().prompt2() != null && call.promptEmbeds() != null) {
            throw new IllegalArgumentException("Cannot forward both `prompt_2` and `prompt_embeds`. Please make sure to "
                    + "only forward one of the two.");
        }
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public void setScheduler(Scheduler replacement) {
        if (replacement == null) {
            throw new IllegalArgumentException("scheduler must not be null");
        }
        this.scheduler = replacement;
    }

    public VaeModel vae() {
        return vae;
    }

    public Device device() {
        return manager.getDevice();
    }

    /**
     * prepare_latents' draw: the given latents (shape checked), else {@code randn_tensor(shape, generator)} in the
     * pipeline's dtype (one generator per image when a list is given).
     */
    protected NDArray initialLatents(NDManager m, PipelineCall args, Shape shape) {
        if (args.latents() != null) {
            if (!args.latents().getShape().equals(shape)) {
                throw new IllegalArgumentException("Unexpected latents shape, got " + args.latents().getShape()
                        + ", expected " + shape);
            }
            return given(m, args.latents(), dtype());
        }
        AbstractStableDiffusionPipeline.checkGenerators(args.generators(), (int) shape.get(0));
        return RandnTensor.randnTensor(m, shape, args.generators(), dtype());
    }

    /** One transformer call: the noise (velocity) prediction for {@code latents} at timestep {@code t}. */
    @FunctionalInterface
    protected interface Denoiser {
        NDArray predict(NDManager step, NDArray latents, double t);
    }

    /**
     * The denoising loop of both pipelines: for each timestep the prediction, {@code scheduler.step}, the step-end
     * callback and progress; each iteration in a sub-manager of {@code m}, only the new latents surviving it.
     */
    protected NDArray denoise(NDManager m, Scheduler scheduler, NDArray latents, PipelineCall args,
                              Denoiser denoiser) {
        return DenoisingLoop.run(m, scheduler.timesteps(), latents, args, progress(args), (step, i, t, current) ->
                scheduler.step(denoiser.predict(step, current, t), t, current, 0.0, args.generators()).prevSample());
    }

    /** {@code vae.decode(latents / scaling_factor + shift_factor)} then postprocess; "latent": the latents. */
    protected ImagePipelineOutput decode(NDArray latents, NDArray outputLatents, String outputType) {
        if (outputType.equals("latent")) {
            return VaeOutput.latents(outputLatents);
        }
        return VaeOutput.decode(vae, VaeImageProcessor.create(vaeScaleFactor()), VaeOutput.unscale(vae, latents),
                outputType);
    }

    @Override
    public void close() {
        super.close();
        embeddingCache.close();
        manager.close();
        if (ownsComponents) {
            ComponentLoader.closeAll(components());
        }
    }
}

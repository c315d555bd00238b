// A flow-matching preset (SD3 / FLUX shape) built in memory, as the stage benchmark drives it.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@link FlowStageBench} times of a Stable Diffusion 3 or FLUX.1 shaped model, at one batch and size: the
 * tokenizers and text encoders, one transformer call on the transformer's batch (SD3: the CFG batch), one whole
 * denoising step (that call, the guidance and the scheduler step), each transformer block kind on its own (to scale
 * a model built with fewer blocks to the real depth), the VAE decode, and the pipeline's own call where the preset
 * can run one. Subclasses own their components; {@link #close()} frees them.
 */
abstract class FlowWorkload implements AutoCloseable {
    /** The transformer's text conditioning: token embeddings and the pooled embedding. */
    record Conditioning(NDArray embeds, NDArray pooled) {
    }

    /**
     * One block kind timed on its own: {@code built} of them in the model, {@code full} in the real one.
     *
     * @param flops one block's FLOPs ({@link TransformerCost})
     */
    record BlockTiming(String name, int built, int full, double ms, double flops) {
    }

    protected final int batch;
    protected final int height;
    protected final int width;

    protected FlowWorkload(int batch, int height, int width) {
        this.batch = batch;
        this.height = height;
        this.width = width;
    }

    /** The preset's name ({@code --preset}). */
    abstract String name();

    /** What the model is and what of the real pipeline it leaves out (report lines). */
    abstract List<String> notes();

    /** Every weight the workload holds, by component. */
    abstract Map<String, Map<String, NDArray>> weights();

    abstract DataType dtype();

    abstract VaeModel vae();

    /** The transformer's attention settings (the default: libtorch's fused kernel where available). */
    abstract AttentionOptions attentionOptions();

    /** Rows of one transformer call (SD3 with CFG: twice the images). */
    abstract int transformerBatch();

    /** The pipeline's tokenization of {@code prompts} (and of the negative prompts it adds). */
    abstract Object tokenize(List<String> prompts);

    /** Tokenization and text encoders: the conditioning of one transformer call, in {@code m}. */
    abstract Conditioning encode(NDManager m, List<String> prompts);

    /** The initial latents as the denoising loop holds them, in {@code m}. */
    abstract NDArray latents(NDManager m, long seed);

    /** A copy of the pipeline's scheduler with the pipeline's timesteps for {@code steps} steps. */
    abstract Scheduler scheduler(int steps);

    /** One transformer call on {@code latents} at timestep {@code t}; the prediction is in {@code s}. */
    abstract NDArray transformerCall(NDManager s, NDArray latents, Conditioning c, double t);

    /** The pipeline's guidance on a transformer call's prediction (SD3: CFG; FLUX: none). */
    abstract NDArray guide(NDArray prediction);

    /** Each block kind timed on its own at the call's shapes, best of {@code runs}. */
    abstract List<BlockTiming> timeBlocks(NDManager m, Conditioning c, int runs);

    /** FLOPs of one call of the model as built ({@code full} false) or of the real model ({@code full} true). */
    abstract TransformerCost cost(boolean full);

    /** The pipeline's own call (prompts to images; nothing written) when the preset can run it, else null. */
    abstract ImagePipelineOutput pipelineCall(List<String> prompts, int steps, long seed);

    /** Bytes of all weights. */
    long weightBytes() {
        long bytes = 0;
        for (Map<String, NDArray> component : weights().values()) {
            for (NDArray t : component.values()) {
                bytes += t.getShape().size() * t.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    /** VAE latents of the images: {@code [B, latent_channels, H / 8, W / 8]}, seeded normal noise. */
    NDArray vaeLatents(NDManager m, long seed) {
        long[] shape = {batch, vae().latentChannels(), height / vae().scaleFactor(), width / vae().scaleFactor()};
        return randn(m, seed, shape);
    }

    /** {@code torch.randn(shape, generator=Generator().manual_seed(seed))} in the workload's dtype. */
    NDArray randn(NDManager m, long seed, long... shape) {
        return m.create(new TorchGenerator(seed).randn(shape), new Shape(shape)).toType(dtype(), false);
    }

    /** Best wall time in ms of {@code runs} calls after a warm-up; each call's outputs are closed untimed. */
    static double bestOf(int runs, Supplier<NDList> op) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i <= runs; i++) {
            long start = System.nanoTime();
            NDList out = op.get();
            double ms = (System.nanoTime() - start) / 1e6;
            out.close();
            if (i > 0) {
                best = Math.min(best, ms);
            }
        }
        return best;
    }

    @Override
    public abstract void close();
}

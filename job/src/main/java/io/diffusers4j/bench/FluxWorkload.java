// `bench --preset flux-schnell-shape`: FLUX.1-schnell's widths with a few blocks, built in memory, as timed.
package io.diffusers4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.blocks.RotaryEmbedding;
import io.diffusers4j.models.clip.CLIPTextModel;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.transformers.FluxSingleTransformerBlock;
import io.diffusers4j.models.transformers.FluxTransformer2DConfig;
import io.diffusers4j.models.transformers.FluxTransformer2DModel;
import io.diffusers4j.models.transformers.FluxTransformerBlock;
import io.diffusers4j.models.transformers.JointBlockOutput;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.pipelines.FlowMatchSchedule;
import io.diffusers4j.pipelines.FluxPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link FluxPreset}'s components built in memory with seeded random weights (transformer: seed, VAE +1, CLIP-L +2),
 * driven as {@code FluxPipeline.__call__} drives them at guidance 0 (FLUX.1-schnell: no CFG, no guidance embedding):
 * the CLIP pooled output, packed latents {@code [B, (H/16)(W/16), 64]} with their position ids, 256 text tokens, the
 * timestep divided by 1000, FLUX's shifted sigmas. There is no {@code FluxPipeline} call: T5-XXL, which the
 * pipeline needs, is not built (its prompt rows are zeros here), and the transformer has only {@code layers}
 * double-stream and {@code layers} single-stream blocks; the stage bench scales to 19 + 38 by the block timings.
 */
final class FluxWorkload extends FlowWorkload {
    private final NDManager root;
    private final FluxTransformer2DModel transformer;
    private final CLIPTextModel clip;
    private final CLIPTokenizer tokenizer;
    private final AutoencoderKL vae;
    private final Scheduler scheduler;
    private final int layers;

    private FluxWorkload(NDManager root, FluxTransformer2DModel transformer, CLIPTextModel clip,
                         CLIPTokenizer tokenizer, AutoencoderKL vae, int layers, int batch, int height, int width) {
        super(batch, height, width);
        this.root = root;
        this.transformer = transformer;
        this.clip = clip;
        this.tokenizer = tokenizer;
        this.vae = vae;
        this.scheduler = FluxPreset.scheduler();
        this.layers = layers;
    }

    /** Builds the preset (the transformer last, after checking the memory it needs). */
    static FluxWorkload build(long seed, int layers, int batch, int height, int width, Device device, DataType dtype,
                              PrintStream log) throws IOException {
        FluxTransformer2DConfig cfg = FluxPreset.transformer(layers);
        NDManager root = NDManager.newBaseManager(device);
        try {
            log.println("bench: building the " + FluxPreset.NAME + " preset in memory (VAE, CLIP-L, then the "
                    + "transformer with " + layers + " double-stream + " + layers + " single-stream blocks) ...");
            AutoencoderKL vae = AutoencoderKL.randomInit(FluxPreset.vae(), seed + 1, root, dtype);
            long rest = TransformerCost.fluxParameters(cfg) + PresetMemory.clipParameters(FluxPreset.clipL(), false);
            PresetMemory.require(rest * dtype.getNumOfBytes(), "the FLUX transformer (" + layers + " + " + layers
                    + " blocks) with CLIP-L", "build fewer blocks with --layers N");
            CLIPTextModel clip = CLIPTextModel.randomInit(FluxPreset.clipL(), seed + 2, root, dtype);
            FluxTransformer2DModel transformer = FluxTransformer2DModel.randomInit(cfg, seed, root, dtype);
            return new FluxWorkload(root, transformer, clip, PresetFiles.clipTokenizer(), vae, layers, batch, height,
                    width);
        } catch (IOException | RuntimeException | Error e) {
            root.close();   // frees every component built so far (their weights live in sub-managers of root)
            throw e;
        }
    }

    @Override
    String name() {
        return FluxPreset.NAME;
    }

    @Override
    List<String> notes() {
        return List.of("black-forest-labs/FLUX.1-schnell's transformer width (24 heads x 128 = 3072), seeded random "
                        + "weights, built in memory",
                "transformer built with " + layers + " double-stream + " + layers + " single-stream blocks of 19 + 38: "
                        + "full-model figures are SCALED (the measured call plus the missing blocks at their "
                        + "measured time)",
                "without T5 (text_encoder_2 = T5-XXL, 4.76 B parameters, 19 GB in float32): its "
                        + FluxPreset.TEXT_TOKENS + " prompt rows are zeros; no FluxPipeline call (it needs T5): the "
                        + "whole call is ESTIMATED from the stages");
    }

    @Override
    Map<String, Map<String, NDArray>> weights() {
        Map<String, Map<String, NDArray>> w = new LinkedHashMap<>();
        w.put("transformer", transformer.stateDict());
        w.put("vae", vae.stateDict());
        w.put("text_encoder", clip.stateDict());
        return w;
    }

    @Override
    DataType dtype() {
        return transformer.dtype();
    }

    @Override
    VaeModel vae() {
        return vae;
    }

    @Override
    AttentionOptions attentionOptions() {
        return transformer.attentionOptions();
    }

    @Override
    int transformerBatch() {
        return batch;
    }

    private long imageTokens() {
        int f = 2 * vae.scaleFactor();
        return (long) (height / f) * (width / f);
    }

    @Override
    Object tokenize(List<String> prompts) {
        return tokenizer.encode(prompts);
    }

    /** The CLIP pooled output; the T5 rows are zeros (T5 not built). */
    @Override
    Conditioning encode(NDManager m, List<String> prompts) {
        NDArray ids = m.create(tokenizer.encode(prompts).inputIds());
        NDArray pooled = clip.forward(ids, null, false).pooledOutput().toType(dtype(), false);
        NDArray embeds = m.zeros(new Shape(prompts.size(), FluxPreset.TEXT_TOKENS,
                transformer.config().jointAttentionDim), dtype());
        return new Conditioning(embeds, pooled);
    }

    /** Packed latents {@code [B, (H/16)(W/16), 64]}. */
    @Override
    NDArray latents(NDManager m, long seed) {
        return randn(m, seed, batch, imageTokens(), transformer.config().inChannels);
    }

    @Override
    Scheduler scheduler(int steps) {
        Scheduler s = scheduler.copy();
        FlowMatchSchedule.setSigmas(s, steps, imageTokens());
        return s;
    }

    @Override
    NDArray transformerCall(NDManager s, NDArray latents, Conditioning c, double t) {
        NDArray input = latents.duplicate();
        input.attach(s);
        NDArray timestep = s.full(new Shape(batch), (float) t).toType(dtype(), false).div(1000f);
        NDArray textIds = s.zeros(new Shape(batch, c.embeds().getShape().get(1), 3), dtype());
        int f = 2 * vae.scaleFactor();
        NDArray imageIds = FluxPipeline.latentImageIds(s, batch, 2 * (height / f), 2 * (width / f))
                .toType(dtype(), false);
        return transformer.forward(input, c.embeds(), c.pooled(), timestep, null, textIds, imageIds);
    }

    @Override
    NDArray guide(NDArray prediction) {
        return prediction;
    }

    /** A double-stream and a single-stream block on the call's token streams and rotary table. */
    @Override
    List<BlockTiming> timeBlocks(NDManager m, Conditioning c, int runs) {
        TransformerCost cost = cost(false);
        FluxTransformerBlock block = transformer.transformerBlocks().get(0);
        FluxSingleTransformerBlock single = transformer.singleTransformerBlocks().get(0);
        try (NDManager s = m.newSubManager()) {
            long t = c.embeds().getShape().get(1);
            long n = imageTokens();
            long d = transformer.config().innerDim();
            int f = 2 * vae.scaleFactor();
            NDArray ids = NDArrays.concat(new NDList(s.zeros(new Shape(batch, t, 3)),
                    FluxPipeline.latentImageIds(s, batch, 2 * (height / f), 2 * (width / f))), 1);
            NDArray hidden = randn(s, 11, batch, n, d);
            NDArray encoder = randn(s, 12, batch, t, d);
            NDArray joint = randn(s, 14, batch, t + n, d);
            NDArray temb = randn(s, 13, batch, d);
            try (RotaryEmbedding rope = transformer.posEmbed().forward(ids)) {
                return List.of(
                        new BlockTiming("double-stream block", layers, FluxPreset.DOUBLE_BLOCKS, bestOf(runs, () -> {
                            JointBlockOutput o = block.forward(hidden, encoder, temb, rope);
                            return new NDList(o.hiddenStates(), o.encoderHiddenStates());
                        }), cost.block()),
                        new BlockTiming("single-stream block", layers, FluxPreset.SINGLE_BLOCKS, bestOf(runs,
                                () -> new NDList(single.forward(joint, temb, rope))), cost.singleBlock()));
            }
        }
    }

    @Override
    TransformerCost cost(boolean full) {
        FluxTransformer2DConfig cfg = full ? FluxPreset.fullTransformer() : transformer.config();
        return TransformerCost.flux(cfg, batch, imageTokens(), FluxPreset.TEXT_TOKENS);
    }

    /** None: FluxPipeline needs T5. */
    @Override
    ImagePipelineOutput pipelineCall(List<String> prompts, int steps, long seed) {
        return null;
    }

    @Override
    public void close() {
        transformer.close();
        vae.close();
        clip.close();
        root.close();
    }
}

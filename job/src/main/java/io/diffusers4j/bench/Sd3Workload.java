// `bench --preset sd3-medium-shape`: the SD3-medium shaped pipeline built in memory, as FlowStageBench times it.
package io.diffusers4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.clip.CLIPTextModelWithProjection;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.transformers.JointBlockOutput;
import io.diffusers4j.models.transformers.JointTransformerBlock;
import io.diffusers4j.models.transformers.SD3Transformer2DConfig;
import io.diffusers4j.models.transformers.SD3Transformer2DModel;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.pipelines.StableDiffusion3Components;
import io.diffusers4j.pipelines.StableDiffusion3Pipeline;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.utils.TorchGenerator;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link Sd3Preset}'s pipeline ({@code StableDiffusion3Pipeline} without T5) built in memory with seeded random
 * weights (transformer: seed, VAE +1, CLIP-L +2, CLIP-G +3), timed at guidance 7.0 (SD3's default: a CFG batch of
 * twice the images). With {@code layers} below 24 the transformer has that many joint blocks (the last
 * {@code context_pre_only}, as in the real model); the stage bench scales its figures by the block timings.
 */
final class Sd3Workload extends FlowWorkload {
    private final NDManager root;
    private final StableDiffusion3Pipeline pipeline;
    private final int layers;

    private Sd3Workload(NDManager root, StableDiffusion3Pipeline pipeline, int layers, int batch, int height,
                        int width) {
        super(batch, height, width);
        this.root = root;
        this.pipeline = pipeline;
        this.layers = layers;
    }

    /** Builds the preset (the transformer last, after checking the memory it needs). */
    static Sd3Workload build(long seed, int layers, int batch, int height, int width, Device device, DataType dtype,
                             PrintStream log) throws IOException {
        SD3Transformer2DConfig cfg = Sd3Preset.transformer(layers);
        NDManager root = NDManager.newBaseManager(device);
        try {
            log.println("bench: building the " + Sd3Preset.NAME + " preset in memory (VAE, CLIP-L, CLIP-G, then the "
                    + "transformer with " + layers + " joint blocks) ...");
            AutoencoderKL vae = AutoencoderKL.randomInit(Sd3Preset.vae(1.5305, 0.0609, Sd3Preset.NAME), seed + 1,
                    root, dtype);
            long rest = TransformerCost.sd3Parameters(cfg) + PresetMemory.clipParameters(Sd3Preset.clipL(), true)
                    + PresetMemory.clipParameters(Sd3Preset.clipG(), true);
            PresetMemory.require(rest * dtype.getNumOfBytes(), "the SD3 transformer (" + layers + " blocks) with "
                    + "CLIP-L and CLIP-G", "build fewer transformer blocks with --layers N (the figures are scaled "
                    + "to 24)");
            CLIPTextModelWithProjection clipL = CLIPTextModelWithProjection.randomInit(Sd3Preset.clipL(), seed + 2,
                    root, dtype);
            CLIPTextModelWithProjection clipG = CLIPTextModelWithProjection.randomInit(Sd3Preset.clipG(), seed + 3,
                    root, dtype);
            SD3Transformer2DModel transformer = SD3Transformer2DModel.randomInit(cfg, seed, root, dtype);
            CLIPTokenizer tokenizer = PresetFiles.clipTokenizer();
            StableDiffusion3Pipeline pipeline = new StableDiffusion3Pipeline(new StableDiffusion3Components(
                    transformer, Sd3Preset.scheduler(), vae, clipL, tokenizer, clipG, tokenizer, null, null), true);
            return new Sd3Workload(root, pipeline, layers, batch, height, width);
        } catch (IOException | RuntimeException | Error e) {
            root.close();   // frees every component built so far (their weights live in sub-managers of root)
            throw e;
        }
    }

    @Override
    String name() {
        return Sd3Preset.NAME;
    }

    @Override
    List<String> notes() {
        List<String> notes = new ArrayList<>();
        notes.add("stabilityai/stable-diffusion-3-medium-diffusers' architecture, seeded random weights, built in "
                + "memory");
        notes.add("without T5 (text_encoder_3 = None: T5-XXL is 4.76 B parameters, 19 GB in float32, and does not "
                + "fit a 24 GiB machine next to the rest); its 77 prompt rows are zeros, so the transformer sees "
                + Sd3Preset.TEXT_TOKENS_WITHOUT_T5 + " text tokens (with T5: 77 + 256)");
        if (layers < Sd3Preset.LAYERS) {
            notes.add("transformer built with " + layers + " of 24 joint blocks: 24-block figures are SCALED (the "
                    + "measured call plus the missing blocks at their measured time)");
        }
        return notes;
    }

    @Override
    Map<String, Map<String, NDArray>> weights() {
        Map<String, Map<String, NDArray>> w = new LinkedHashMap<>();
        w.put("transformer", pipeline.transformer().stateDict());
        w.put("vae", pipeline.vae().stateDict());
        for (String name : List.of("text_encoder", "text_encoder_2")) {
            w.put(name, ((CLIPTextModelWithProjection) pipeline.components().get(name)).stateDict());
        }
        return w;
    }

    @Override
    DataType dtype() {
        return pipeline.dtype();
    }

    @Override
    VaeModel vae() {
        return pipeline.vae();
    }

    @Override
    AttentionOptions attentionOptions() {
        return pipeline.transformer().attentionOptions();
    }

    @Override
    int transformerBatch() {
        return 2 * batch;
    }

    private PipelineCall call(List<String> prompts) {
        return new PipelineCall().prompt(prompts).height(height).width(width);
    }

    /** Both CLIP tokenizers on the negative and the positive prompts, as each encode_prompt half does. */
    @Override
    Object tokenize(List<String> prompts) {
        CLIPTokenizer tokenizer = (CLIPTokenizer) pipeline.components().get("tokenizer");
        CLIPTokenizer tokenizer2 = (CLIPTokenizer) pipeline.components().get("tokenizer_2");
        List<String> negative = Collections.nCopies(prompts.size(), "");
        return List.of(tokenizer.encode(negative), tokenizer.encode(prompts), tokenizer2.encode(negative),
                tokenizer2.encode(prompts));
    }

    @Override
    Conditioning encode(NDManager m, List<String> prompts) {
        NDList c = pipeline.conditioning(m, call(prompts));
        return new Conditioning(c.get(0), c.get(1));
    }

    @Override
    NDArray latents(NDManager m, long seed) {
        SD3Transformer2DConfig cfg = pipeline.transformer().config();
        int f = pipeline.vaeScaleFactor();
        return randn(m, seed, batch, cfg.inChannels, height / f, width / f);
    }

    @Override
    Scheduler scheduler(int steps) {
        Scheduler s = pipeline.scheduler().copy();
        Schedulers.retrieveTimesteps(s, steps, null, null);
        return s;
    }

    /** The pipeline's step: the latents twice (CFG), the timestep per row, the transformer. */
    @Override
    NDArray transformerCall(NDManager s, NDArray latents, Conditioning c, double t) {
        NDArray input = NDArrays.concat(new NDList(latents, latents), 0);
        input.attach(s);
        NDArray timestep = s.full(new Shape(input.getShape().get(0)), (float) t).toType(dtype(), false);
        return pipeline.transformer().forward(input, c.embeds(), c.pooled(), timestep);
    }

    @Override
    NDArray guide(NDArray prediction) {
        NDList halves = prediction.split(2, 0);
        halves.attach(prediction.getManager());
        return halves.get(1).sub(halves.get(0)).muli((float) StableDiffusion3Pipeline.DEFAULT_GUIDANCE_SCALE)
                .addi(halves.get(0));
    }

    /** A full joint block and the last ({@code context_pre_only}) block on the call's token streams. */
    @Override
    List<BlockTiming> timeBlocks(NDManager m, Conditioning c, int runs) {
        SD3Transformer2DModel transformer = pipeline.transformer();
        List<JointTransformerBlock> blocks = transformer.transformerBlocks();
        TransformerCost cost = cost(false);
        List<BlockTiming> out = new ArrayList<>();
        try (NDManager s = m.newSubManager()) {
            long b = transformerBatch();
            long d = transformer.config().innerDim();
            long p = transformer.config().patchSize;
            int f = pipeline.vaeScaleFactor();
            NDArray hidden = randn(s, 11, b, (height / f / p) * (width / f / p), d);
            NDArray encoder = randn(s, 12, b, c.embeds().getShape().get(1), d);
            NDArray temb = randn(s, 13, b, d);
            JointTransformerBlock block = blocks.get(0);   // --layers is at least 2: a full block
            out.add(new BlockTiming("joint block", layers - 1, Sd3Preset.LAYERS - 1, bestOf(runs,
                    () -> outputs(block.forward(hidden, encoder, temb))), cost.block()));
            JointTransformerBlock last = blocks.get(blocks.size() - 1);
            out.add(new BlockTiming("last block (context_pre_only)", 1, 1, bestOf(runs,
                    () -> outputs(last.forward(hidden, encoder, temb))), cost.lastBlock()));
        }
        return out;
    }

    private static NDList outputs(JointBlockOutput o) {
        NDList l = new NDList(o.hiddenStates());
        if (o.encoderHiddenStates() != null) {
            l.add(o.encoderHiddenStates());
        }
        return l;
    }

    @Override
    TransformerCost cost(boolean full) {
        SD3Transformer2DConfig cfg = full ? Sd3Preset.transformer(Sd3Preset.LAYERS) : pipeline.transformer().config();
        int f = pipeline.vaeScaleFactor();
        return TransformerCost.sd3(cfg, transformerBatch(), height / f, width / f, Sd3Preset.TEXT_TOKENS_WITHOUT_T5);
    }

    @Override
    ImagePipelineOutput pipelineCall(List<String> prompts, int steps, long seed) {
        List<TorchGenerator> gens = new ArrayList<>();
        for (int j = 0; j < prompts.size(); j++) {
            gens.add(new TorchGenerator(seed + j));
        }
        return pipeline.call(call(prompts).numInferenceSteps(steps).generators(gens).outputType("pil")
                .progress(ProgressListener.NONE));
    }

    @Override
    public void close() {
        pipeline.close();
        root.close();
    }
}

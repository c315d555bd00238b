// diffusers.pipelines.stable_diffusion_3.pipeline_stable_diffusion_3.StableDiffusion3Pipeline (text-to-image).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.models.transformers.SD3Transformer2DModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.tokenizers.T5TokenizerFast;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.CLIP_SKIP;
import static io.diffusers4j.pipelines.CallArgument.LATENTS;
import static io.diffusers4j.pipelines.CallArgument.MAX_SEQUENCE_LENGTH;
import static io.diffusers4j.pipelines.CallArgument.NEGATIVE_PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT_2;
import static io.diffusers4j.pipelines.CallArgument.PROMPT_3;
import static io.diffusers4j.pipelines.CallArgument.SIZE;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;

/**
 * Stable Diffusion 3 text-to-image, diffusers 0.30.3's {@code __call__} step for step: the prompt embeddings are
 * both CLIP encoders' penultimate hidden states side by side, zero-padded to the T5 width and followed by T5's
 * {@code max_sequence_length} rows (zeros without {@code text_encoder_3}); the pooled embedding is both CLIP
 * projections side by side; classifier-free guidance above 1; the flow-matching scheduler; the VAE's
 * {@code shift_factor}.
 */
public class StableDiffusion3Pipeline extends AbstractFlowMatchPipeline {
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("StableDiffusion3Pipeline",
            "stable-diffusion-3", PipelineTask.TEXT_TO_IMAGE,
            CallArgument.setOf(PROMPT, NEGATIVE_PROMPT, SIZE, LATENTS, CLIP_SKIP, TIMESTEPS, PROMPT_2, PROMPT_3,
                    MAX_SEQUENCE_LENGTH),
            CallArgument.setOf(PROMPT),
            (components, config, owns) -> new StableDiffusion3Pipeline(StableDiffusion3Components.from(components),
                    owns));
    public static final int DEFAULT_STEPS = 28;
    public static final double DEFAULT_GUIDANCE_SCALE = 7.0;
    public static final int DEFAULT_MAX_SEQUENCE_LENGTH = 256;
    private final StableDiffusion3Components parts;

    public StableDiffusion3Pipeline(StableDiffusion3Components c, boolean ownsComponents) {
        super(c.vae(), c.scheduler(), c.transformer().device(), ownsComponents);
        this.parts = c;
    }

    /** A pipeline over shared components (diffusers' {@code StableDiffusion3Pipeline(**components)}). */
    public StableDiffusion3Pipeline(Map<String, Object> components) {
        this(StableDiffusion3Components.from(components), false);
    }

    public SD3Transformer2DModel transformer() {
        return parts.transformer();
    }

    @Override
    public DataType dtype() {
        return parts.transformer().dtype();
    }

    /** 2^(len(vae.config.block_out_channels) - 1). */
    @Override
    public int vaeScaleFactor() {
        return vae.scaleFactor();
    }

    @Override
    protected int defaultSampleSize() {
        return parts.transformer().config().sampleSize;
    }

    @Override
    protected int defaultNumInferenceSteps() {
        return DEFAULT_STEPS;
    }

    @Override
    protected double defaultGuidanceScale() {
        return DEFAULT_GUIDANCE_SCALE;
    }

    @Override
    protected int defaultMaxSequenceLength() {
        return DEFAULT_MAX_SEQUENCE_LENGTH;
    }

    /** The latent grid must split into the transformer's patches (else its output would not match the latents). */
    @Override
    protected int outputMultiple() {
        return vaeScaleFactor() * parts.transformer().config().patchSize;
    }

    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        super.checkPipelineInputs(call);
        if (call.negativePromptEmbeds() != null && call.sdxl().negativePooledPromptEmbeds() == null) {
            throw new IllegalArgumentException("If `negative_prompt_embeds` are provided, "
                    + "`negative_pooled_prompt_embeds` also have to be passed. Make sure to generate "
                    + "`negative_pooled_prompt_embeds` from the same text encoder that was used to generate "
                    + "`negative_prompt_embeds`.");
        }
        int[] size = requestedSize(call);
        int multiple = outputMultiple();
        if (size[0] % multiple != 0 || size[1] % multiple != 0) {
            throw new IllegalArgumentException("`height` and `width` must be multiples of " + multiple + " (the VAE "
                    + "factor " + vaeScaleFactor() + " times the transformer's patch_size "
                    + parts.transformer().config().patchSize + ") but are " + size[0] + " and " + size[1]);
        }
    }

    @Override
    public Map<String, Object> components() {
        return parts.asMap();
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        int batch = args.batchSize();
        int images = batch * args.numImagesPerPrompt();
        double guidance = args.guidanceScale();
        boolean doCfg = guidance > 1;
        SD3Transformer2DModel transformer = parts.transformer();
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            PromptEmbeddings conditioning = conditioning(m, args, doCfg);
            Schedulers.retrieveTimesteps(scheduler, args.numInferenceSteps(), args.timesteps(), null);
            int f = vaeScaleFactor();
            NDArray latents = initialLatents(m, args, new Shape(images, transformer.config().inChannels,
                    args.height() / f, args.width() / f));
            latents = denoise(m, scheduler, latents, args, (step, current, t) -> {
                NDArray input = doCfg ? NDArrays.concat(new NDList(current, current), 0) : current;
                NDArray timestep = step.full(new Shape(input.getShape().get(0)), (float) t).toType(dtype(), false);
                NDArray prediction = transformer.forward(input, conditioning.embeds(), conditioning.pooled(),
                        timestep);
                if (!doCfg) {
                    return prediction;
                }
                NDList halves = prediction.split(2, 0);
                return halves.get(1).sub(halves.get(0)).muli((float) guidance).addi(halves.get(0));
            });
            return decode(latents, latents, args.outputType());
        }
    }

    /**
     * The prompt embeddings a call of {@code call} hands the transformer at every step (diffusers' {@code
     * encode_prompt}, concatenated as {@code __call__} does): {@code [negative; positive]} along the batch when the
     * guidance scale is above 1, else the positive rows; the embeddings {@code [B, 77 + T, joint_attention_dim]}
     * then the pooled {@code [B, 2 * projection_dim]}, in {@code m}.
     */
    public NDList conditioning(NDManager m, PipelineCall call) {
        PipelineCall args = prepare(call);
        PromptEmbeddings c = conditioning(m, args, args.guidanceScale() > 1);
        return new NDList(c.embeds(), c.pooled());
    }

    private PromptEmbeddings conditioning(NDManager m, PipelineCall args, boolean doCfg) {
        PromptEmbeddings positive = positiveEmbeddings(m, args, args.batchSize());
        if (!doCfg) {
            return positive;
        }
        return PromptEmbeddings.guidanceBatch(negativeEmbeddings(m, args, args.batchSize()), positive);
    }

    private PromptEmbeddings positiveEmbeddings(NDManager m, PipelineCall args, int batch) {
        if (args.promptEmbeds() != null) {
            return new PromptEmbeddings(given(m, args.promptEmbeds(), dtype()),
                    given(m, args.sdxl().pooledPromptEmbeds(), dtype()));
        }
        List<String> prompt = args.prompt();
        List<String> prompt2 = AbstractStableDiffusionPipeline.orDefault(args.sdxl().prompt2(), prompt);
        List<String> prompt3 = AbstractStableDiffusionPipeline.orDefault(args.prompt3(), prompt);
        checkBatch(prompt2, batch, "prompt_2");
        checkBatch(prompt3, batch, "prompt_3");
        return encode(m, prompt, prompt2, prompt3, args.clipSkip(), args);
    }

    /**
     * encode_prompt's negative half: the given embeds, else {@code negative_prompt or ""} (one per prompt; a null
     * entry is "") with {@code negative_prompt_2 / _3} defaulting to it; clip_skip never applies to it.
     */
    private PromptEmbeddings negativeEmbeddings(NDManager m, PipelineCall args, int batch) {
        if (args.negativePromptEmbeds() != null) {
            return new PromptEmbeddings(given(m, args.negativePromptEmbeds(), dtype()),
                    given(m, args.sdxl().negativePooledPromptEmbeds(), dtype()));
        }
        List<String> given = args.negativePrompt();
        List<String> negative = given == null || given.isEmpty() ? Collections.nCopies(batch, "")
                : AbstractStableDiffusionPipeline.orEmpty(AbstractStableDiffusionPipeline.perPrompt(given, batch,
                        "negative_prompt"));
        List<String> negative2 = secondary(args.sdxl().negativePrompt2(), negative, batch, "negative_prompt_2");
        List<String> negative3 = secondary(args.negativePrompt3(), negative, batch, "negative_prompt_3");
        return encode(m, negative, negative2, negative3, null, args);
    }

    /** {@code negative_prompt_k or negative_prompt}, per prompt. */
    private static List<String> secondary(List<String> given, List<String> negative, int batch, String name) {
        if (given == null || given.isEmpty()) {
            return negative;
        }
        return AbstractStableDiffusionPipeline.orDefault(AbstractStableDiffusionPipeline.perPrompt(given, batch, name), negative);
    }

    private static void checkBatch(List<String> prompts, int batch, String name) {
        if (prompts.size() != batch) {
            throw new IllegalArgumentException(name + " has batch size " + prompts.size() + ", but prompt has batch "
                    + "size " + batch);
        }
    }

    /** _get_clip_prompt_embeds for both CLIP encoders, _get_t5_prompt_embeds, padded and concatenated. */
    private PromptEmbeddings encode(NDManager m, List<String> prompt, List<String> prompt2, List<String> prompt3,
                              Integer clipSkip, PipelineCall args) {
        int n = args.numImagesPerPrompt();
        PromptEmbeddings first = clipEmbeddings(m, parts.tokenizer(), parts.textEncoder(), prompt, clipSkip);
        PromptEmbeddings second = clipEmbeddings(m, parts.tokenizer2(), parts.textEncoder2(), prompt2, clipSkip);
        NDArray clip = NDArrays.concat(new NDList(first.embeds(), second.embeds()), -1);
        NDArray t5 = t5Embeddings(m, prompt3, args.maxSequenceLength(), clip.getShape().get(1));
        // torch.nn.functional.pad(clip, (0, t5_dim - clip_dim)): zeros on the right, or a cut when negative
        long t5Dim = t5.getShape().get(2);
        long clipDim = clip.getShape().get(2);
        if (t5Dim > clipDim) {
            NDArray zeros = m.zeros(new Shape(clip.getShape().get(0), clip.getShape().get(1), t5Dim - clipDim),
                    clip.getDataType());
            clip = NDArrays.concat(new NDList(clip, zeros), -1);
        } else if (t5Dim < clipDim) {
            clip = clip.get(new NDIndex(":, :, :{}", t5Dim));
        }
        NDArray embeds = NDArrays.concat(new NDList(clip, t5), 1);
        NDArray pooled = NDArrays.concat(new NDList(first.pooled(), second.pooled()), -1);
        return new PromptEmbeddings(embeds, pooled).repeat(n);
    }

    /** One CLIP encoder: hidden_states[-(clip_skip + 2)] (penultimate by default) and the projected pooled output. */
    private PromptEmbeddings clipEmbeddings(NDManager m, CLIPTokenizer tokenizer, CLIPTextEncoder encoder,
                                      List<String> prompts, Integer clipSkip) {
        NDArray ids = m.create(tokenizer.encode(prompts).inputIds());
        CLIPTextOutput out = encoder.forward(ids, null, true);
        int layer = clipSkip == null ? -2 : -(clipSkip + 2);
        return new PromptEmbeddings(out.hiddenState(layer).toType(dtype(), false),
                out.textEmbeds().toType(dtype(), false));
    }

    /**
     * _get_t5_prompt_embeds before the per-image repeat: the T5 encoder's output, or without {@code text_encoder_3}
     * zeros of {@code [B, tokenizer_max_length, joint_attention_dim]}.
     */
    private NDArray t5Embeddings(NDManager m, List<String> prompts, int maxSequenceLength, long clipLength) {
        T5EncoderModel t5 = parts.textEncoder3();
        if (t5 == null) {
            return m.zeros(new Shape(prompts.size(), clipLength, parts.transformer().config().jointAttentionDim),
                    dtype());
        }
        T5TokenizerFast tokenizer = parts.tokenizer3();
        return T5PromptEmbeds.encode(m, tokenizer, t5, prompts, maxSequenceLength, 1, dtype(), embeddingCache);
    }
}

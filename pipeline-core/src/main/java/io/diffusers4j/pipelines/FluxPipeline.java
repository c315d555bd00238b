// diffusers.pipelines.flux.pipeline_flux.FluxPipeline (text-to-image).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.transformers.FluxTransformer2DModel;
import io.diffusers4j.schedulers.Scheduler;

import java.util.List;
import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.LATENTS;
import static io.diffusers4j.pipelines.CallArgument.MAX_SEQUENCE_LENGTH;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.PROMPT_2;
import static io.diffusers4j.pipelines.CallArgument.SIZE;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;

/**
 * FLUX.1 text-to-image, diffusers 0.30.3's {@code __call__} step for step: the CLIP encoder's pooled output and the
 * T5 encoder's hidden states (no classifier-free guidance: {@code guidance_scale} is the transformer's guidance
 * embedding where the checkpoint has one, FLUX.1-dev, and unused otherwise, FLUX.1-schnell), latents packed into
 * 2x2 patches with their (0, row, column) position ids, sigmas {@code linspace(1, 1/steps, steps)} shifted by the
 * image sequence length ({@code calculate_shift}), and the VAE's {@code shift_factor}.
 *
 * <p>Defaults: diffusers' {@code __call__} has 28 steps, guidance 7.0 and {@code max_sequence_length} 512 for every
 * checkpoint. A checkpoint without a guidance embedding (timestep-distilled, FLUX.1-schnell) gets what it is made
 * for instead, 4 steps, guidance 0 and 256 (its model card's settings); one with a guidance embedding keeps
 * diffusers' defaults.
 */
public class FluxPipeline extends AbstractFlowMatchPipeline {
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("FluxPipeline", "flux",
            PipelineTask.TEXT_TO_IMAGE,
            CallArgument.setOf(PROMPT, SIZE, LATENTS, TIMESTEPS, PROMPT_2, MAX_SEQUENCE_LENGTH),
            CallArgument.setOf(PROMPT),
            (components, config, owns) -> new FluxPipeline(FluxComponents.from(components), owns));
    /** diffusers' {@code default_sample_size}. */
    static final int DEFAULT_SAMPLE_SIZE = 64;
    public static final int DEFAULT_STEPS = 28;
    public static final double DEFAULT_GUIDANCE_SCALE = 7.0;
    public static final int DEFAULT_MAX_SEQUENCE_LENGTH = 512;
    /** The defaults of a checkpoint without a guidance embedding (FLUX.1-schnell's model card). */
    public static final int DISTILLED_STEPS = 4;
    public static final int DISTILLED_MAX_SEQUENCE_LENGTH = 256;
    private final FluxComponents parts;

    public FluxPipeline(FluxComponents c, boolean ownsComponents) {
        super(c.vae(), c.scheduler(), c.transformer().device(), ownsComponents);
        this.parts = c;
    }

    /** A pipeline over shared components (diffusers' {@code FluxPipeline(**components)}). */
    public FluxPipeline(Map<String, Object> components) {
        this(FluxComponents.from(components), false);
    }

    public FluxTransformer2DModel transformer() {
        return parts.transformer();
    }

    private boolean guidanceEmbeds() {
        return parts.transformer().config().guidanceEmbeds;
    }

    @Override
    public DataType dtype() {
        return parts.transformer().dtype();
    }

    /** 2^len(vae.config.block_out_channels): the VAE's factor times the 2x2 packing. */
    @Override
    public int vaeScaleFactor() {
        return 2 * vae.scaleFactor();
    }

    @Override
    protected int defaultSampleSize() {
        return DEFAULT_SAMPLE_SIZE;
    }

    @Override
    protected int defaultNumInferenceSteps() {
        return guidanceEmbeds() ? DEFAULT_STEPS : DISTILLED_STEPS;
    }

    @Override
    protected double defaultGuidanceScale() {
        return guidanceEmbeds() ? DEFAULT_GUIDANCE_SCALE : 0.0;
    }

    @Override
    protected int defaultMaxSequenceLength() {
        return guidanceEmbeds() ? DEFAULT_MAX_SEQUENCE_LENGTH : DISTILLED_MAX_SEQUENCE_LENGTH;
    }

    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        super.checkPipelineInputs(call);
        if (call.timesteps() != null) {
            // the pipeline always passes its own sigmas, and retrieve_timesteps takes one of the two
            throw new IllegalArgumentException("Only one of `timesteps` or `sigmas` can be passed. Please choose one "
                    + "to set custom values");
        }
        FlowMatchSchedule.requireFlowMatch(call.scheduler() != null ? call.scheduler() : scheduler);
        if (call.sdxl().negativePrompt2() != null || call.sdxl().negativePooledPromptEmbeds() != null) {
            throw new IllegalArgumentException("FluxPipeline does not take negative_prompt_2 (its diffusers __call__ "
                    + "has no negative prompt)");
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
        int n = args.numImagesPerPrompt();
        int images = batch * n;
        FluxTransformer2DModel transformer = parts.transformer();
        int f = vaeScaleFactor();
        int latentHeight = 2 * (args.height() / f);
        int latentWidth = 2 * (args.width() / f);
        int channels = transformer.config().inChannels / 4;
        try (Scheduler scheduler = callScheduler(args);
             NDManager m = manager.newSubManager()) {
            NDArray pooled;
            NDArray embeds;
            if (args.promptEmbeds() != null) {
                pooled = given(m, args.sdxl().pooledPromptEmbeds(), dtype());
                embeds = given(m, args.promptEmbeds(), dtype());
            } else {
                List<String> prompt2 = AbstractStableDiffusionPipeline.orDefault(args.sdxl().prompt2(), args.prompt());
                if (prompt2.size() != batch) {
                    throw new IllegalArgumentException("prompt_2 has batch size " + prompt2.size() + ", but prompt "
                            + "has batch size " + batch);
                }
                pooled = AbstractStableDiffusionPipeline.repeatPerPrompt(clipPooled(m, args.prompt()), n);
                embeds = T5PromptEmbeds.encode(m, parts.tokenizer2(), parts.textEncoder2(), prompt2,
                        args.maxSequenceLength(), n, dtype(), embeddingCache);
            }
            NDArray textIds = m.zeros(new Shape(embeds.getShape().get(0), embeds.getShape().get(1), 3), dtype());
            long tokens = (long) (latentHeight / 2) * (latentWidth / 2);
            NDArray latents;
            if (args.latents() != null) {
                latents = initialLatents(m, args, new Shape(images, tokens, channels * 4L));
            } else {
                latents = pack(initialLatents(m, args, new Shape(images, channels, latentHeight, latentWidth)));
            }
            NDArray imageIds = latentImageIds(m, images, latentHeight, latentWidth).toType(dtype(), false);
            FlowMatchSchedule.setSigmas(scheduler, args.numInferenceSteps(), tokens);
            NDArray guidance = guidanceEmbeds() ? m.full(new Shape(images), (float) (double) args.guidanceScale())
                    : null;
            latents = denoise(m, scheduler, latents, args, (step, current, t) -> {
                NDArray timestep = step.full(new Shape(images), (float) t).toType(dtype(), false).div(1000f);
                return transformer.forward(current, embeds, pooled, timestep, guidance, textIds, imageIds);
            });
            return decode(unpack(latents, latentHeight, latentWidth), latents, args.outputType());
        }
    }

    /** _get_clip_prompt_embeds: the CLIP encoder's {@code pooler_output} {@code [B, hidden]}. */
    private NDArray clipPooled(NDManager m, List<String> prompts) {
        NDArray ids = m.create(parts.tokenizer().encode(prompts).inputIds());
        CLIPTextOutput out = parts.textEncoder().forward(ids, null, false);
        return out.pooledOutput().toType(dtype(), false);
    }

    /** _pack_latents: {@code [B, C, H, W]} to {@code [B, (H/2)(W/2), 4C]}, each 2x2 patch one token. */
    static NDArray pack(NDArray latents) {
        Shape s = latents.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2) / 2;
        long w = s.get(3) / 2;
        return latents.reshape(b, c, h, 2, w, 2).transpose(0, 2, 4, 1, 3, 5).reshape(b, h * w, c * 4);
    }

    /** _unpack_latents: the tokens back to {@code [B, C, H, W]} latents. */
    static NDArray unpack(NDArray latents, int latentHeight, int latentWidth) {
        Shape s = latents.getShape();
        long b = s.get(0);
        long c = s.get(2);
        long h = latentHeight / 2;
        long w = latentWidth / 2;
        return latents.reshape(b, h, w, c / 4, 2, 2).transpose(0, 3, 1, 4, 2, 5).reshape(b, c / 4, h * 2, w * 2);
    }

    /** _prepare_latent_image_ids: {@code [B, (H/2)(W/2), 3]} of (0, row, column), row-major. */
    public static NDArray latentImageIds(NDManager m, int batch, int latentHeight, int latentWidth) {
        int h = latentHeight / 2;
        int w = latentWidth / 2;
        float[] ids = new float[batch * h * w * 3];
        int k = 0;
        for (int image = 0; image < batch; image++) {
            for (int row = 0; row < h; row++) {
                for (int col = 0; col < w; col++) {
                    ids[k + 1] = row;
                    ids[k + 2] = col;
                    k += 3;
                }
            }
        }
        return m.create(ids, new Shape(batch, (long) h * w, 3));
    }
}

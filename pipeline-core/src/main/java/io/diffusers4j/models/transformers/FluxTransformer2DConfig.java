// Typed config.json of diffusers.models.transformers.transformer_flux.FluxTransformer2DModel (0.30.3 defaults).
package io.diffusers4j.models.transformers;

import com.google.gson.JsonElement;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.weights.ShapeCheck;
import io.diffusers4j.weights.TensorSource;

import java.util.ArrayList;
import java.util.List;

import static io.diffusers4j.config.ConfigLimits.atMostEntries;
import static io.diffusers4j.config.ConfigLimits.eachInRange;
import static io.diffusers4j.config.ConfigLimits.inRange;

/**
 * The keys of a FluxTransformer2DModel {@code config.json} (FLUX.1-dev / -schnell: patch_size 1, in_channels 64,
 * num_layers 19, num_single_layers 38, attention_head_dim 128, num_attention_heads 24, joint_attention_dim 4096,
 * pooled_projection_dim 768, guidance_embeds true / false, axes_dims_rope [16, 56, 56] (absent from the published
 * files: the default)); defaults are diffusers 0.30.3's {@code __init__} defaults. {@link #validate()} bounds every
 * size before anything is allocated and checks what the model needs of them (the rotary axes must add up to the head
 * dimension); an {@code out_channels} key (diffusers >= 0.31) is refused unless null or {@code in_channels}, other
 * unknown keys are kept and ignored.
 */
public class FluxTransformer2DConfig extends ConfigBase {
    /** Widest vector: the inner dim (heads x head dim), text and pooled embedding dims (FLUX.1: 3072, 4096, 768). */
    public static final int MAX_WIDTH = 1 << 16;
    /** Most heads, and the largest head dimension (FLUX.1: 24 x 128). */
    public static final int MAX_HEADS = 1024;
    /** Most blocks of either kind (FLUX.1: 19 double, 38 single). */
    public static final int MAX_LAYERS = 1024;
    /** Largest patch (FLUX.1: 1; the pipeline packs 2x2 latent patches itself). */
    public static final int MAX_PATCH_SIZE = 64;
    /** Largest input channel count (FLUX.1: 64 = 16 latent channels x 2 x 2). */
    public static final int MAX_CHANNELS = 1 << 14;
    /** Most rotary axes (FLUX.1: 3: the text/image index, row, column). */
    public static final int MAX_AXES = 16;

    public int patchSize = 1;
    public int inChannels = 64;
    public int numLayers = 19;
    public int numSingleLayers = 38;
    public int attentionHeadDim = 128;
    public int numAttentionHeads = 24;
    public int jointAttentionDim = 4096;
    public int pooledProjectionDim = 768;
    public boolean guidanceEmbeds = false;
    public List<Integer> axesDimsRope = List.of(16, 56, 56);

    @Override
    public String defaultClassName() {
        return "FluxTransformer2DModel";
    }

    /** {@code num_attention_heads * attention_head_dim}, the width of the token streams. */
    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** Values per output token: {@code patch_size^2 * in_channels} (0.30.3's {@code out_channels = in_channels}). */
    public int outFeatures() {
        return patchSize * patchSize * inChannels;
    }

    @Override
    public void validate() {
        inRange("patch_size", patchSize, 1, MAX_PATCH_SIZE);
        inRange("in_channels", inChannels, 1, MAX_CHANNELS);
        inRange("num_layers", numLayers, 0, MAX_LAYERS);
        inRange("num_single_layers", numSingleLayers, 0, MAX_LAYERS);
        inRange("attention_head_dim", attentionHeadDim, 1, MAX_HEADS);
        inRange("num_attention_heads", numAttentionHeads, 1, MAX_HEADS);
        inRange("joint_attention_dim", jointAttentionDim, 1, MAX_WIDTH);
        inRange("pooled_projection_dim", pooledProjectionDim, 1, MAX_WIDTH);
        long inner = (long) numAttentionHeads * attentionHeadDim;
        if (inner > MAX_WIDTH) {
            throw invalid("num_attention_heads %d x attention_head_dim %d = %d, more than the %d allowed",
                    numAttentionHeads, attentionHeadDim, inner, MAX_WIDTH);
        }
        if ((long) patchSize * patchSize * inChannels > MAX_CHANNELS * 64L) {
            throw invalid("patch_size %d x patch_size x in_channels %d output values per token, more than the %d "
                    + "allowed", patchSize, inChannels, MAX_CHANNELS * 64L);
        }
        if (axesDimsRope == null) {
            throw invalid("key 'axes_dims_rope' must be a list of ints, got null");
        }
        atMostEntries("axes_dims_rope", axesDimsRope.size(), MAX_AXES);
        eachInRange("axes_dims_rope", axesDimsRope, 2, MAX_HEADS);
        int sum = 0;
        for (int d : axesDimsRope) {
            if (d % 2 != 0) {
                throw invalid("key 'axes_dims_rope' %s has %d: every rotary dimension must be even (The dimension must "
                        + "be even.)", axesDimsRope, d);
            }
            sum += d;
        }
        if (axesDimsRope.isEmpty() || sum != attentionHeadDim) {
            throw invalid("key 'axes_dims_rope' %s adds up to %d but attention_head_dim is %d: the rotary table "
                    + "must cover each head", axesDimsRope, sum, attentionHeadDim);
        }
        JsonElement out = extraKeys().get("out_channels");
        if (out != null && !out.isJsonNull() && !(out.isJsonPrimitive() && out.getAsJsonPrimitive().isNumber()
                && out.getAsDouble() == inChannels)) {
            throw invalid("key 'out_channels' is %s: diffusers 0.30.3's FluxTransformer2DModel, which this port "
                    + "follows, always outputs in_channels (%d) channels (supported: null, absent or %d)", out,
                    inChannels, inChannels);
        }
    }

    /**
     * The main sizes against the checkpoint's header (nothing is read), so that a config that does not fit its
     * weights is refused naming the key before anything is built.
     */
    public void checkWeights(TensorSource weights) {
        int inner = innerDim();
        String heads = numAttentionHeads + " (x attention_head_dim " + attentionHeadDim + ")";
        new ShapeCheck(source(), weights)
                .count("num_layers", numLayers, numLayers, "transformer_blocks")
                .count("num_single_layers", numSingleLayers, numSingleLayers, "single_transformer_blocks")
                .dim("num_attention_heads", heads, inner, "x_embedder.weight", 0)
                .dim("in_channels", inChannels, inChannels, "x_embedder.weight", 1)
                .dim("joint_attention_dim", jointAttentionDim, jointAttentionDim, "context_embedder.weight", 1)
                .dim("pooled_projection_dim", pooledProjectionDim, pooledProjectionDim,
                        "time_text_embed.text_embedder.linear_1.weight", 1)
                .dim("patch_size", patchSize, outFeatures(), "proj_out.weight", 0)
                .dim("attention_head_dim", attentionHeadDim, attentionHeadDim,
                        "single_transformer_blocks.0.attn.norm_q.weight", 0)
                .dim("attention_head_dim", attentionHeadDim, attentionHeadDim,
                        "transformer_blocks.0.attn.norm_q.weight", 0);
        boolean hasGuidance = weights.keys().stream().anyMatch(k -> k.startsWith("time_text_embed.guidance_embedder."));
        boolean hasTime = weights.keys().stream().anyMatch(k -> k.startsWith("time_text_embed."));
        if (hasTime && hasGuidance != guidanceEmbeds) {
            List<String> shown = new ArrayList<>();
            weights.keys().stream().filter(k -> k.startsWith("time_text_embed.guidance_embedder.")).limit(1)
                    .forEach(shown::add);
            throw new IllegalArgumentException(source() + ": key 'guidance_embeds' is " + guidanceEmbeds + " but "
                    + weights.describe() + (hasGuidance ? " has " + shown.get(0) + " (a guidance-distilled model)"
                    : " has no time_text_embed.guidance_embedder.* tensors"));
        }
    }
}

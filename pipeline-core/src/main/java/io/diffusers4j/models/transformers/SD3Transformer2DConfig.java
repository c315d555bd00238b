// Typed config.json of diffusers.models.transformers.transformer_sd3.SD3Transformer2DModel (diffusers 0.30.3 defaults).
package io.diffusers4j.models.transformers;

import com.google.gson.JsonElement;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.weights.ShapeCheck;
import io.diffusers4j.weights.TensorSource;

import static io.diffusers4j.config.ConfigLimits.inRange;
import static io.diffusers4j.config.ConfigLimits.inRangeIfSet;

/**
 * The keys of an SD3Transformer2DModel {@code config.json} (SD3-medium: sample_size 128, patch_size 2, in_channels 16,
 * num_layers 24, attention_head_dim 64, num_attention_heads 24, joint_attention_dim 4096, caption_projection_dim 1536,
 * pooled_projection_dim 2048, out_channels 16, pos_embed_max_size 192); defaults are diffusers 0.30.3's
 * {@code __init__} defaults. {@link #validate()} bounds every size before anything is allocated and refuses what
 * 0.30.3's model cannot build; keys of later diffusers versions that change the architecture (SD3.5's
 * {@code qk_norm}, {@code dual_attention_layers}) are refused when set, other unknown keys are kept and ignored.
 */
public class SD3Transformer2DConfig extends ConfigBase {
    /** Widest vector: the inner dim (heads x head dim), text and pooled embedding dims (SD3: 1536, 4096, 2048). */
    public static final int MAX_WIDTH = 1 << 16;
    /** Most heads, and the largest head dimension (SD3: 24 x 64). */
    public static final int MAX_HEADS = 1024;
    /** Most transformer blocks (SD3-medium 24, SD3.5-large 38). */
    public static final int MAX_LAYERS = 1024;
    /** Largest patch (SD3: 2). */
    public static final int MAX_PATCH_SIZE = 64;
    /** Largest latent channel count (SD3: 16). */
    public static final int MAX_CHANNELS = 1 << 14;
    /** Largest {@code sample_size} and {@code pos_embed_max_size} (SD3: 128 and 192). */
    public static final int MAX_SAMPLE_SIZE = 1 << 14;
    /** Most values of the position table ({@code grid^2 * inner_dim}; SD3-medium: 192^2 x 1536 = 56.6 M). */
    public static final long MAX_POS_EMBED_VALUES = 1L << 28;

    public int sampleSize = 128;
    public int patchSize = 2;
    public int inChannels = 16;
    public int numLayers = 18;
    public int attentionHeadDim = 64;
    public int numAttentionHeads = 18;
    public int jointAttentionDim = 4096;
    public int captionProjectionDim = 1152;
    public int pooledProjectionDim = 2048;
    public Integer outChannels = 16;
    public Integer posEmbedMaxSize = 96;

    @Override
    public String defaultClassName() {
        return "SD3Transformer2DModel";
    }

    /** {@code num_attention_heads * attention_head_dim}, the width of the token streams. */
    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** {@code out_channels if out_channels is not None else in_channels}. */
    public int resolvedOutChannels() {
        return outChannels != null ? outChannels : inChannels;
    }

    /** The side of the square position table: {@code pos_embed_max_size}, else {@code sample_size / patch_size}. */
    public int posEmbedGrid() {
        return posEmbedMaxSize != null ? posEmbedMaxSize : sampleSize / patchSize;
    }

    @Override
    public void validate() {
        inRange("sample_size", sampleSize, 1, MAX_SAMPLE_SIZE);
        inRange("patch_size", patchSize, 1, MAX_PATCH_SIZE);
        inRange("in_channels", inChannels, 1, MAX_CHANNELS);
        inRangeIfSet("out_channels", outChannels, 1, MAX_CHANNELS);
        inRange("num_layers", numLayers, 1, MAX_LAYERS);
        inRange("attention_head_dim", attentionHeadDim, 1, MAX_HEADS);
        inRange("num_attention_heads", numAttentionHeads, 1, MAX_HEADS);
        inRange("joint_attention_dim", jointAttentionDim, 1, MAX_WIDTH);
        inRange("caption_projection_dim", captionProjectionDim, 1, MAX_WIDTH);
        inRange("pooled_projection_dim", pooledProjectionDim, 1, MAX_WIDTH);
        inRangeIfSet("pos_embed_max_size", posEmbedMaxSize, 1, MAX_SAMPLE_SIZE);
        long inner = (long) numAttentionHeads * attentionHeadDim;
        if (inner > MAX_WIDTH) {
            throw invalid("num_attention_heads %d x attention_head_dim %d = %d, more than the %d allowed",
                    numAttentionHeads, attentionHeadDim, inner, MAX_WIDTH);
        }
        if (inner % 4 != 0) {
            throw invalid("num_attention_heads %d x attention_head_dim %d = %d must be divisible by 4 (the 2-D "
                    + "sine-cosine position table: embed_dim must be divisible by 2, twice)", numAttentionHeads,
                    attentionHeadDim, inner);
        }
        if (captionProjectionDim != inner) {
            throw invalid("key 'caption_projection_dim' is %d but the transformer blocks are num_attention_heads x "
                    + "attention_head_dim = %d wide: the projected text tokens must have that width",
                    captionProjectionDim, inner);
        }
        if (sampleSize < patchSize) {
            throw invalid("key 'sample_size' %d is smaller than patch_size %d", sampleSize, patchSize);
        }
        long grid = posEmbedGrid();
        if (grid * grid * inner > MAX_POS_EMBED_VALUES) {
            throw invalid("the position table of %d x %d patches x %d channels (pos_embed_max_size %s, sample_size "
                    + "%d) has more than the %d values allowed", grid, grid, inner, posEmbedMaxSize, sampleSize,
                    MAX_POS_EMBED_VALUES);
        }
        refuseLaterArchitectureKeys();
    }

    /** SD3.5's keys (diffusers >= 0.31): set to anything but their neutral value, the model is not 0.30.3's. */
    private void refuseLaterArchitectureKeys() {
        JsonElement qkNorm = extraKeys().get("qk_norm");
        if (qkNorm != null && !qkNorm.isJsonNull()) {
            throw invalid("key 'qk_norm' is %s: q/k-normed SD3 transformers (SD3.5) are not supported by diffusers "
                    + "0.30.3's SD3Transformer2DModel, which this port follows (supported: null or absent)", qkNorm);
        }
        JsonElement dual = extraKeys().get("dual_attention_layers");
        if (dual != null && !dual.isJsonNull() && !(dual.isJsonArray() && dual.getAsJsonArray().isEmpty())) {
            throw invalid("key 'dual_attention_layers' is %s: dual-attention SD3 blocks (SD3.5) are not supported by "
                    + "diffusers 0.30.3's SD3Transformer2DModel, which this port follows (supported: [] or absent)",
                    dual);
        }
    }

    /**
     * The main sizes against the checkpoint's header (nothing is read), so that a config that does not fit its
     * weights is refused naming the key before anything is built.
     */
    public void checkWeights(TensorSource weights) {
        int inner = innerDim();
        String heads = numAttentionHeads + " (x attention_head_dim " + attentionHeadDim + ")";
        ShapeCheck w = new ShapeCheck(source(), weights)
                .count("num_layers", numLayers, numLayers, "transformer_blocks")
                .dim("num_attention_heads", heads, inner, "pos_embed.proj.weight", 0)
                .dim("in_channels", inChannels, inChannels, "pos_embed.proj.weight", 1)
                .dim("patch_size", patchSize, patchSize, "pos_embed.proj.weight", 2)
                .dim("joint_attention_dim", jointAttentionDim, jointAttentionDim, "context_embedder.weight", 1)
                .dim("caption_projection_dim", captionProjectionDim, captionProjectionDim,
                        "context_embedder.weight", 0)
                .dim("pooled_projection_dim", pooledProjectionDim, pooledProjectionDim,
                        "time_text_embed.text_embedder.linear_1.weight", 1)
                .dim("out_channels", resolvedOutChannels(), (long) patchSize * patchSize * resolvedOutChannels(),
                        "proj_out.weight", 0)
                .dim("attention_head_dim", attentionHeadDim, inner, "proj_out.weight", 1);
        if (posEmbedMaxSize != null) {
            w.dim("pos_embed_max_size", posEmbedMaxSize, (long) posEmbedMaxSize * posEmbedMaxSize,
                    "pos_embed.pos_embed", 1);
        }
    }
}

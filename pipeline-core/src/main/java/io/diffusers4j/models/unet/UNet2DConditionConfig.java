// Typed config.json of diffusers.models.unets.unet_2d_condition.UNet2DConditionModel (diffusers 0.30 defaults).
package io.diffusers4j.models.unet;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.weights.ShapeCheck;
import io.diffusers4j.weights.TensorSource;

import java.util.Arrays;
import java.util.List;

import static io.diffusers4j.config.ConfigLimits.atMostEntries;
import static io.diffusers4j.config.ConfigLimits.dividesEach;
import static io.diffusers4j.config.ConfigLimits.eachInRange;
import static io.diffusers4j.config.ConfigLimits.inRange;
import static io.diffusers4j.config.ConfigLimits.inRangeIfSet;

/**
 * The keys of a UNet2DConditionModel {@code config.json}; field names are the keys in camelCase, defaults are
 * diffusers' {@code __init__} defaults. {@link #validate()} repeats diffusers' {@code _check_config} (and the checks of
 * its {@code _set_*} helpers); which of the valid configurations this port can build is checked by
 * {@link UNet2DConditionModel} itself. Flags that real configs sometimes set to null are {@code Boolean}s read with
 * Python truthiness ({@link #isTrue}).
 */
public class UNet2DConditionConfig extends ConfigBase {
    /**
     * Largest width: channels, embedding and cross-attention dims (SD: 1280, SDXL: 2048 and 2816, FLUX's T5 4096).
     * Sizes below the limits are still checked against the weights' shapes before loading ({@link #checkWeights}).
     */
    public static final int MAX_CHANNELS = 16_384;
    /** Most down (and up) blocks: SD and SDXL have 3 or 4; the latents shrink by 2 per block. */
    public static final int MAX_BLOCKS = 16;
    /** Most resnets or transformer blocks per block: {@code layers_per_block} (2), SDXL's transformer depth 10. */
    public static final int MAX_LAYERS = 256;
    /** Most attention heads per block: SD 8, SDXL 20. */
    public static final int MAX_HEADS = 1024;
    /** Largest {@code sample_size} in latent pixels (SD 64, SDXL 128): the default image is 8x that. */
    public static final int MAX_SAMPLE_SIZE = 1024;
    /** Largest conv kernel ({@code conv_in_kernel}, {@code conv_out_kernel}: 3) and {@code downsample_padding}. */
    public static final int MAX_KERNEL = 31;
    /** Most class embeddings ({@code num_class_embeds}: a table of that many rows). */
    public static final int MAX_CLASS_EMBEDS = 1 << 20;

    public IntOrList sampleSize = null;
    public int inChannels = 4;
    public int outChannels = 4;
    public Boolean centerInputSample = false;
    public boolean flipSinToCos = true;
    public int freqShift = 0;
    public List<String> downBlockTypes = List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D", "DownBlock2D");
    public String midBlockType = "UNetMidBlock2DCrossAttn";
    public List<String> upBlockTypes = List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
            "CrossAttnUpBlock2D");
    public BoolOrList onlyCrossAttention = BoolOrList.of(false);
    public int[] blockOutChannels = {320, 640, 1280, 1280};
    public IntOrList layersPerBlock = IntOrList.of(2);
    public int downsamplePadding = 1;
    public double midBlockScaleFactor = 1;
    public double dropout = 0.0;
    public String actFn = "silu";
    public Integer normNumGroups = 32;
    public double normEps = 1e-5;
    public IntOrList crossAttentionDim = IntOrList.of(1280);
    public IntOrList transformerLayersPerBlock = IntOrList.of(1);
    public List<List<Integer>> reverseTransformerLayersPerBlock = null;
    public Integer encoderHidDim = null;
    public String encoderHidDimType = null;
    // Quirk kept from diffusers: when num_attention_heads is null, attention_head_dim is the NUMBER of heads.
    public IntOrList attentionHeadDim = IntOrList.of(8);
    public IntOrList numAttentionHeads = null;
    public Boolean dualCrossAttention = false;
    public Boolean useLinearProjection = false;
    public String classEmbedType = null;
    public String additionEmbedType = null;
    public Integer additionTimeEmbedDim = null;
    public Integer numClassEmbeds = null;
    public Boolean upcastAttention = false;
    public String resnetTimeScaleShift = "default";
    public Boolean resnetSkipTimeAct = false;
    public double resnetOutScaleFactor = 1.0;
    public String timeEmbeddingType = "positional";
    public Integer timeEmbeddingDim = null;
    public String timeEmbeddingActFn = null;
    public String timestepPostAct = null;
    public Integer timeCondProjDim = null;
    public int convInKernel = 3;
    public int convOutKernel = 3;
    public Integer projectionClassEmbeddingsInputDim = null;
    public String attentionType = "default";
    public Boolean classEmbeddingsConcat = false;
    public Boolean midBlockOnlyCrossAttention = null;
    public String crossAttentionNorm = null;
    public int additionEmbedTypeNumHeads = 64;

    /** Python truthiness of an optional boolean key (SDXL's config has {@code "upcast_attention": null}). */
    public static boolean isTrue(Boolean flag) {
        return Boolean.TRUE.equals(flag);
    }

    @Override
    public String defaultClassName() {
        return "UNet2DConditionModel";
    }

    /** Number of down (and up) blocks. */
    public int numBlocks() {
        return downBlockTypes.size();
    }

    /** Heads per down block: {@code num_attention_heads or attention_head_dim}, expanded (diffusers' naming quirk). */
    public int[] headsPerBlock() {
        IntOrList heads = numAttentionHeads != null ? numAttentionHeads : attentionHeadDim;
        return heads.expand(numBlocks(), numAttentionHeads != null ? "num_attention_heads" : "attention_head_dim");
    }

    /** {@code time_embedding_dim or block_out_channels[0] * 4} for positional embeddings. */
    public int timeEmbedDim() {
        if (timeEmbeddingType.equals("fourier")) {
            return timeEmbeddingDim != null ? timeEmbeddingDim : blockOutChannels[0] * 2;
        }
        return timeEmbeddingDim != null ? timeEmbeddingDim : blockOutChannels[0] * 4;
    }

    @Override
    public void validate() {
        int n = UNetBlockLists.check(downBlockTypes, upBlockTypes, blockOutChannels);
        if (n == 0) {
            throw invalid("down_block_types must not be empty");
        }
        if (onlyCrossAttention == null) {
            throw invalid("key 'only_cross_attention' must be a bool or a list of bools, got null");
        }
        if (onlyCrossAttention.isList() && onlyCrossAttention.size() != n) {
            throw invalid("Must provide the same number of `only_cross_attention` as `down_block_types`. "
                    + "`only_cross_attention`: %s. `down_block_types`: %s.", onlyCrossAttention, downBlockTypes);
        }
        if (numAttentionHeads != null) {
            throw invalid("At the moment it is not possible to define the number of attention heads via "
                    + "`num_attention_heads` (got %s) because of a naming issue as described in "
                    + "https://github.com/huggingface/diffusers/issues/2011#issuecomment-1547958131; use "
                    + "attention_head_dim, which diffusers reads as the number of heads", numAttentionHeads);
        }
        if (attentionHeadDim == null) {
            throw invalid("key 'attention_head_dim' must be an int or a list of ints, got null");
        }
        if (attentionHeadDim.isList() && attentionHeadDim.size() != n) {
            throw invalid("Must provide the same number of `attention_head_dim` as `down_block_types`. "
                    + "`attention_head_dim`: %s. `down_block_types`: %s.", attentionHeadDim, downBlockTypes);
        }
        if (crossAttentionDim != null && crossAttentionDim.isList() && crossAttentionDim.size() != n) {
            throw invalid("Must provide the same number of `cross_attention_dim` as `down_block_types`. "
                    + "`cross_attention_dim`: %s. `down_block_types`: %s.", crossAttentionDim, downBlockTypes);
        }
        if (layersPerBlock == null) {
            throw invalid("key 'layers_per_block' must be an int or a list of ints, got null");
        }
        if (layersPerBlock.isList() && layersPerBlock.size() != n) {
            throw invalid("Must provide the same number of `layers_per_block` as `down_block_types`. "
                    + "`layers_per_block`: %s. `down_block_types`: %s.", layersPerBlock, downBlockTypes);
        }
        if (transformerLayersPerBlock == null) {
            throw invalid("key 'transformer_layers_per_block' must be an int or a list of ints, got null");
        }
        if (transformerLayersPerBlock.isList() && transformerLayersPerBlock.size() != n) {
            throw invalid("Must provide the same number of `transformer_layers_per_block` as `down_block_types`. "
                    + "`transformer_layers_per_block`: %s. `down_block_types`: %s.", transformerLayersPerBlock,
                    downBlockTypes);
        }
        if (!"positional".equals(timeEmbeddingType) && !"fourier".equals(timeEmbeddingType)) {
            throw invalid("%s does not exist. Please make sure to use one of `fourier` or `positional`.",
                    timeEmbeddingType);
        }
        if (timeEmbeddingType.equals("fourier") && timeEmbedDim() % 2 != 0) {
            throw invalid("`time_embed_dim` should be divisible by 2, but is %d.", timeEmbedDim());
        }
        if (encoderHidDim == null && encoderHidDimType != null) {
            throw invalid("`encoder_hid_dim` has to be defined when `encoder_hid_dim_type` is set to %s.",
                    encoderHidDimType);
        }
        if (("projection".equals(classEmbedType) || "simple_projection".equals(classEmbedType))
                && projectionClassEmbeddingsInputDim == null) {
            throw invalid("`class_embed_type`: '%s' requires `projection_class_embeddings_input_dim` be set",
                    classEmbedType);
        }
        if ("text_time".equals(additionEmbedType)
                && (additionTimeEmbedDim == null || projectionClassEmbeddingsInputDim == null)) {
            throw invalid("addition_embed_type 'text_time' needs addition_time_embed_dim (got %s) and "
                    + "projection_class_embeddings_input_dim (got %s)", additionTimeEmbedDim,
                    projectionClassEmbeddingsInputDim);
        }
        Activations.check("act_fn", actFn);
        if (timeEmbeddingActFn != null) {
            Activations.check("time_embedding_act_fn", timeEmbeddingActFn);
        }
        if (timestepPostAct != null) {
            Activations.check("timestep_post_act", timestepPostAct);
        }
        checkSizes();
    }

    /**
     * The main sizes against the checkpoint's tensor shapes (its header only: nothing is read or allocated), so that
     * a config that does not fit its weights is refused naming the key before the model is built; what is not
     * checked here is still compared by strict loading.
     */
    public void checkWeights(TensorSource weights) {
        int n = numBlocks();
        String boc = Arrays.toString(blockOutChannels);
        int[] layers = layersPerBlock.expand(n, "layers_per_block");
        int[] depth = transformerLayersPerBlock.expand(n, "transformer_layers_per_block");
        int[] cross = crossAttentionDim == null ? null : crossAttentionDim.expand(n, "cross_attention_dim");
        ShapeCheck w = new ShapeCheck(source(), weights)
                .count("down_block_types", downBlockTypes, n, "down_blocks")
                .count("up_block_types", upBlockTypes, n, "up_blocks")
                .dim("in_channels", inChannels, inChannels, "conv_in.weight", 1)
                .dim("conv_in_kernel", convInKernel, convInKernel, "conv_in.weight", 2)
                .dim("block_out_channels", boc, blockOutChannels[0], "conv_in.weight", 0)
                .dim("out_channels", outChannels, outChannels, "conv_out.weight", 0)
                .dim("conv_out_kernel", convOutKernel, convOutKernel, "conv_out.weight", 2)
                .dim(timeEmbeddingDim != null ? "time_embedding_dim" : "block_out_channels",
                        timeEmbeddingDim != null ? timeEmbeddingDim : boc, timeEmbedDim(),
                        "time_embedding.linear_1.weight", 0);
        if (timeCondProjDim != null) {
            w.dim("time_cond_proj_dim", timeCondProjDim, timeCondProjDim, "time_embedding.cond_proj.weight", 1);
        }
        if (projectionClassEmbeddingsInputDim != null) {
            w.dim("projection_class_embeddings_input_dim", projectionClassEmbeddingsInputDim,
                    projectionClassEmbeddingsInputDim, "add_embedding.linear_1.weight", 1);
        }
        for (int i = 0; i < n; i++) {
            String block = "down_blocks." + i;
            w.dim("block_out_channels", boc, blockOutChannels[i], block + ".resnets.0.conv1.weight", 0)
                    .count("layers_per_block", layersPerBlock, layers[i], block + ".resnets")
                    .count("transformer_layers_per_block", transformerLayersPerBlock, depth[i],
                            block + ".attentions.0.transformer_blocks")
                    .count("layers_per_block", layersPerBlock, layers[n - 1 - i] + 1L, "up_blocks." + i + ".resnets");
            if (cross != null) {
                w.dim("cross_attention_dim", crossAttentionDim, cross[i],
                        block + ".attentions.0.transformer_blocks.0.attn2.to_k.weight", 1);
            }
        }
        if (cross != null) {
            w.dim("cross_attention_dim", crossAttentionDim, cross[n - 1],
                    "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight", 1);
        }
    }

    /** Every size and count within its limits, before anything is built from them. */
    private void checkSizes() {
        atMostEntries("down_block_types", downBlockTypes.size(), MAX_BLOCKS);
        eachInRange("block_out_channels", blockOutChannels, 1, MAX_CHANNELS);
        inRange("in_channels", inChannels, 1, MAX_CHANNELS);
        inRange("out_channels", outChannels, 1, MAX_CHANNELS);
        eachInRange("layers_per_block", layersPerBlock, 1, MAX_LAYERS);
        eachInRange("transformer_layers_per_block", transformerLayersPerBlock, 0, MAX_LAYERS);
        if (reverseTransformerLayersPerBlock != null) {
            for (List<Integer> layers : reverseTransformerLayersPerBlock) {
                if (layers == null) {
                    throw invalid("key 'reverse_transformer_layers_per_block' %s holds null, not a list",
                            reverseTransformerLayersPerBlock);
                }
                eachInRange("reverse_transformer_layers_per_block", layers, 0, MAX_LAYERS);
            }
        }
        eachInRange("attention_head_dim", attentionHeadDim, 1, MAX_HEADS);
        eachInRange("cross_attention_dim", crossAttentionDim, 1, MAX_CHANNELS);
        eachInRange("sample_size", sampleSize, 1, MAX_SAMPLE_SIZE);
        if (normNumGroups != null) {
            inRange("norm_num_groups", normNumGroups, 1, MAX_CHANNELS);
            dividesEach("norm_num_groups", normNumGroups, "block_out_channels", blockOutChannels);
        }
        inRange("conv_in_kernel", convInKernel, 1, MAX_KERNEL);
        inRange("conv_out_kernel", convOutKernel, 1, MAX_KERNEL);
        inRange("downsample_padding", downsamplePadding, 0, MAX_KERNEL);
        inRangeIfSet("time_embedding_dim", timeEmbeddingDim, 1, MAX_CHANNELS);
        inRangeIfSet("time_cond_proj_dim", timeCondProjDim, 1, MAX_CHANNELS);
        inRangeIfSet("addition_time_embed_dim", additionTimeEmbedDim, 1, MAX_CHANNELS);
        inRangeIfSet("projection_class_embeddings_input_dim", projectionClassEmbeddingsInputDim, 1, MAX_CHANNELS);
        inRangeIfSet("encoder_hid_dim", encoderHidDim, 1, MAX_CHANNELS);
        inRangeIfSet("num_class_embeds", numClassEmbeds, 1, MAX_CLASS_EMBEDS);
        inRange("addition_embed_type_num_heads", additionEmbedTypeNumHeads, 1, MAX_HEADS);
    }
}

// Typed config.json of diffusers.models.unets.unet_2d.UNet2DModel (the unconditional UNet; diffusers 0.30 defaults).
package io.diffusers4j.models.unet;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.models.blocks.ConfigChecks;
import io.diffusers4j.models.nn.Activations;

import java.util.Arrays;
import java.util.List;

/**
 * The keys of a UNet2DModel {@code config.json} (google/ddpm-cifar10-32, google/ddpm-celebahq-256, ...); field names
 * are the keys in camelCase, defaults are diffusers' {@code __init__} defaults. {@link #validate()} repeats
 * diffusers' checks, bounds every size before anything is allocated, and refuses what this port does not build
 * (with the offending value and the supported ones).
 */
public class UNet2DConfig extends ConfigBase {
    /** Largest channel count a config may set. */
    public static final int MAX_CHANNELS = 1 << 14;
    /** Largest number of down (and up) blocks. */
    public static final int MAX_BLOCKS = 16;
    /** Largest layers_per_block. */
    public static final int MAX_LAYERS = 64;
    /** Largest sample height or width. */
    public static final int MAX_SAMPLE_SIZE = 1 << 14;
    /** Largest num_class_embeds or num_train_timesteps (embedding tables). */
    public static final int MAX_EMBEDDINGS = 1 << 20;

    static final List<String> DOWN_BLOCK_TYPES = List.of("DownBlock2D", "AttnDownBlock2D");
    static final List<String> UP_BLOCK_TYPES = List.of("UpBlock2D", "AttnUpBlock2D");
    private static final String MODEL = "UNet2DModel";

    public IntOrList sampleSize = null;
    public int inChannels = 3;
    public int outChannels = 3;
    public boolean centerInputSample = false;
    public String timeEmbeddingType = "positional";
    public int freqShift = 0;
    public boolean flipSinToCos = true;
    public List<String> downBlockTypes = List.of("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D",
            "AttnDownBlock2D");
    public List<String> upBlockTypes = List.of("AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D");
    public int[] blockOutChannels = {224, 448, 672, 896};
    public int layersPerBlock = 2;
    public double midBlockScaleFactor = 1;
    public int downsamplePadding = 1;
    public String downsampleType = "conv";
    public String upsampleType = "conv";
    public double dropout = 0.0;
    public String actFn = "silu";
    /** null = each block's output channels (one head). */
    public Integer attentionHeadDim = 8;
    public Integer normNumGroups = 32;
    public Integer attnNormNumGroups = null;
    public double normEps = 1e-5;
    public String resnetTimeScaleShift = "default";
    public boolean addAttention = true;
    public String classEmbedType = null;
    public Integer numClassEmbeds = null;
    public Integer numTrainTimesteps = null;

    @Override
    public String defaultClassName() {
        return MODEL;
    }

    public int numBlocks() {
        return downBlockTypes.size();
    }

    /** {@code block_out_channels[0] * 4}. */
    public int timeEmbedDim() {
        return blockOutChannels[0] * 4;
    }

    /** The input width of the time embedding: twice the channels for Fourier features. */
    public int timestepInputDim() {
        return timeEmbeddingType.equals("fourier") ? 2 * blockOutChannels[0] : blockOutChannels[0];
    }

    /** The sample's (height, width): {@code sample_size} as an int for both or a pair; null when unset. */
    public int[] sampleHeightWidth() {
        if (sampleSize == null) {
            return null;
        }
        return sampleSize.isList() ? new int[] {sampleSize.get(0), sampleSize.get(1)}
                : new int[] {sampleSize.value(), sampleSize.value()};
    }

    /** What sample sizes must be multiples of: {@code 2 ** (len(block_out_channels) - 1)}. */
    public int sizeMultiple() {
        return 1 << (numBlocks() - 1);
    }

    @Override
    public void validate() {
        int n = UNetBlockLists.check(downBlockTypes, upBlockTypes, blockOutChannels);
        ConfigChecks.inRange(MODEL, "number of blocks", n, MAX_BLOCKS);
        for (int c : blockOutChannels) {
            ConfigChecks.inRange(MODEL, "block_out_channels", c, MAX_CHANNELS);
        }
        ConfigChecks.inRange(MODEL, "in_channels", inChannels, MAX_CHANNELS);
        ConfigChecks.inRange(MODEL, "out_channels", outChannels, MAX_CHANNELS);
        ConfigChecks.inRange(MODEL, "layers_per_block", layersPerBlock, MAX_LAYERS);
        ConfigChecks.nonNegative(MODEL, "downsample_padding", downsamplePadding);
        ConfigChecks.atMost(MODEL, "downsample_padding", downsamplePadding, 1);
        if (sampleSize != null) {
            if (sampleSize.isList() && sampleSize.size() != 2) {
                throw invalid("sample_size must be an int or [height, width], got %s", sampleSize);
            }
            for (int s : sampleHeightWidth()) {
                ConfigChecks.inRange(MODEL, "sample_size", s, MAX_SAMPLE_SIZE);
            }
        }
        for (String type : downBlockTypes) {
            supported("down block type", type == null ? null : UNet2DBlocks.strip(type), DOWN_BLOCK_TYPES);
        }
        for (String type : upBlockTypes) {
            supported("up block type", type == null ? null : UNet2DBlocks.strip(type), UP_BLOCK_TYPES);
        }
        supported("downsample_type", downsampleType, List.of("conv"));
        supported("upsample_type", upsampleType, List.of("conv"));
        supported("time_embedding_type", timeEmbeddingType, List.of("positional", "fourier", "learned"));
        supported("resnet_time_scale_shift", resnetTimeScaleShift, List.of("default", "scale_shift"));
        if (timeEmbeddingType.equals("learned")) {
            if (numTrainTimesteps == null) {
                throw invalid("time_embedding_type 'learned' needs num_train_timesteps (the embedding's size)");
            }
            ConfigChecks.inRange(MODEL, "num_train_timesteps", numTrainTimesteps, MAX_EMBEDDINGS);
        }
        if (classEmbedType != null) {
            supported("class_embed_type", classEmbedType, List.of("timestep", "identity"));
        }
        ConfigChecks.inRange(MODEL, "num_class_embeds", numClassEmbeds, MAX_EMBEDDINGS);
        if (normNumGroups == null) {
            throw invalid("norm_num_groups null is not supported (supported: an int): the blocks' group norms "
                    + "need it");
        }
        ConfigChecks.inRange(MODEL, "norm_num_groups", normNumGroups, MAX_CHANNELS);
        ConfigChecks.inRange(MODEL, "attn_norm_num_groups", attnNormNumGroups, MAX_CHANNELS);
        ConfigChecks.inRange(MODEL, "attention_head_dim", attentionHeadDim, MAX_CHANNELS);
        checkGroups();
        checkHeads();
        if (actFn == null) {
            throw invalid("act_fn must be set, got null");
        }
        Activations.check(actFn);
        if (!Double.isFinite(normEps) || normEps <= 0) {
            throw invalid("norm_eps must be a positive number, got %s", normEps);
        }
        if (!Double.isFinite(midBlockScaleFactor) || midBlockScaleFactor == 0) {
            throw invalid("mid_block_scale_factor must be a non-zero number, got %s", midBlockScaleFactor);
        }
    }

    /** Every group norm's channels are divisible by its groups (torch.nn.GroupNorm refuses the others). */
    private void checkGroups() {
        for (int c : blockOutChannels) {
            if (c % normNumGroups != 0) {
                throw invalid("block_out_channels %s must be divisible by norm_num_groups %d",
                        Arrays.toString(blockOutChannels), normNumGroups);
            }
        }
        if (attnNormNumGroups != null && blockOutChannels[numBlocks() - 1] % attnNormNumGroups != 0) {
            throw invalid("the mid block's %d channels must be divisible by attn_norm_num_groups %d",
                    blockOutChannels[numBlocks() - 1], attnNormNumGroups);
        }
    }

    /** Each attention block has at least one head of {@code attention_head_dim} channels. */
    private void checkHeads() {
        if (attentionHeadDim == null) {
            return;
        }
        for (int i = 0; i < numBlocks(); i++) {
            boolean attention = UNet2DBlocks.strip(downBlockTypes.get(i)).equals("AttnDownBlock2D")
                    || UNet2DBlocks.strip(upBlockTypes.get(numBlocks() - 1 - i)).equals("AttnUpBlock2D")
                    || i == numBlocks() - 1 && addAttention;
            if (attention && blockOutChannels[i] < attentionHeadDim) {
                throw invalid("attention_head_dim %d is larger than the %d channels of block %d: an attention "
                        + "block needs at least one head", attentionHeadDim, blockOutChannels[i], i);
            }
        }
    }

    private static void supported(String key, String value, List<String> supported) {
        if (value == null || !supported.contains(value)) {
            throw invalid("%s '%s' is not supported by UNet2DModel here (supported: %s)", key, value,
                    String.join(", ", supported));
        }
    }
}

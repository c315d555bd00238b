// Typed config.json of diffusers.models.unets.unet_1d.UNet1DModel (Dance Diffusion layout; diffusers 0.30 defaults).
package io.diffusers4j.models.unet;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.blocks.ConfigChecks;

import java.util.Arrays;
import java.util.List;

/**
 * The keys of a UNet1DModel {@code config.json} (harmonai/maestro-150k, ...); field names are the keys in camelCase,
 * defaults are diffusers' {@code __init__} defaults. {@link #validate()} bounds every size before anything is
 * allocated and refuses what this port does not build: the reinforcement-learning variants of UNet1DModel
 * (DownResnetBlock1D, value-function and output blocks, {@code use_timestep_embedding}) are not supported.
 */
public class UNet1DConfig extends ConfigBase {
    /** Largest channel count a config may set. */
    public static final int MAX_CHANNELS = 1 << 14;
    /** Largest number of down (and up) blocks. */
    public static final int MAX_BLOCKS = 24;
    /** Largest default sample length (2^24 samples: 17 minutes at 16 kHz). */
    public static final int MAX_SAMPLE_SIZE = 1 << 24;
    /** Largest sample rate. */
    public static final int MAX_SAMPLE_RATE = 1_000_000;
    /** The width of the Fourier time embedding: sin and cos of 8 frequencies. */
    public static final int FOURIER_EMBEDDING_SIZE = 8;
    private static final String MODEL = "UNet1DModel";

    public int sampleSize = 65536;
    public Integer sampleRate = null;
    public int inChannels = 2;
    public int outChannels = 2;
    public int extraInChannels = 0;
    public String timeEmbeddingType = "fourier";
    public boolean flipSinToCos = true;
    public boolean useTimestepEmbedding = false;
    public double freqShift = 0.0;
    public List<String> downBlockTypes = List.of("DownBlock1DNoSkip", "DownBlock1D", "AttnDownBlock1D");
    public List<String> upBlockTypes = List.of("AttnUpBlock1D", "UpBlock1D", "UpBlock1DNoSkip");
    public String midBlockType = "UNetMidBlock1D";
    public String outBlockType = null;
    public int[] blockOutChannels = {32, 32, 64};
    public String actFn = null;
    public Integer normNumGroups = 8;
    public int layersPerBlock = 1;
    public boolean downsampleEachBlock = false;

    @Override
    public String defaultClassName() {
        return MODEL;
    }

    public int numBlocks() {
        return downBlockTypes.size();
    }

    /** The channels of the time embedding that a no-skip down block concatenates to the sample. */
    public int timeEmbeddingChannels() {
        return timeEmbeddingType.equals("fourier") ? 2 * FOURIER_EMBEDDING_SIZE : blockOutChannels[0];
    }

    /** Dance Diffusion's {@code down_scale_factor}: {@code 2 ** len(up_blocks)}. */
    public int downScaleFactor() {
        return 1 << upBlockTypes.size();
    }

    @Override
    public void validate() {
        if (downBlockTypes == null || upBlockTypes == null || blockOutChannels == null) {
            throw invalid("down_block_types, up_block_types and block_out_channels must be set");
        }
        int n = downBlockTypes.size();
        if (n != upBlockTypes.size() || n != blockOutChannels.length) {
            throw invalid("down_block_types %s, up_block_types %s and block_out_channels %s must have the same "
                    + "length", downBlockTypes, upBlockTypes, Arrays.toString(blockOutChannels));
        }
        ConfigChecks.inRange(MODEL, "number of blocks", n, MAX_BLOCKS);
        for (int c : blockOutChannels) {
            ConfigChecks.inRange(MODEL, "block_out_channels", c, MAX_CHANNELS);
        }
        ConfigChecks.inRange(MODEL, "in_channels", inChannels, MAX_CHANNELS);
        ConfigChecks.inRange(MODEL, "out_channels", outChannels, MAX_CHANNELS);
        ConfigChecks.nonNegative(MODEL, "extra_in_channels", extraInChannels);
        ConfigChecks.atMost(MODEL, "extra_in_channels", extraInChannels, MAX_CHANNELS);
        ConfigChecks.inRange(MODEL, "sample_size", sampleSize, MAX_SAMPLE_SIZE);
        ConfigChecks.inRange(MODEL, "sample_rate", sampleRate, MAX_SAMPLE_RATE);
        supported("time_embedding_type", timeEmbeddingType, List.of("fourier", "positional"));
        if (useTimestepEmbedding) {
            throw invalid("use_timestep_embedding true (the reinforcement-learning UNets) is not supported "
                    + "(supported: false)");
        }
        if (outBlockType != null) {
            throw invalid("out_block_type '%s' is not supported (supported: null)", outBlockType);
        }
        supported("mid_block_type", midBlockType, UNet1DBlocks.MID_BLOCK_TYPES);
        for (int i = 0; i < n; i++) {
            String down = downBlockTypes.get(i);
            String up = upBlockTypes.get(i);
            supported("down block type", down, UNet1DBlocks.DOWN_BLOCK_TYPES);
            supported("up block type", up, UNet1DBlocks.UP_BLOCK_TYPES);
            if ("DownBlock1DNoSkip".equals(down) && i != 0) {
                throw invalid("DownBlock1DNoSkip concatenates the full-length time embedding: it can only be the "
                        + "first down block, got it at %d in %s", i, downBlockTypes);
            }
            if ("UpBlock1DNoSkip".equals(up) && i != n - 1) {
                throw invalid("UpBlock1DNoSkip does not upsample: it can only be the last up block, got it at %d "
                        + "in %s", i, upBlockTypes);
            }
        }
        int expectedExtra = downBlockTypes.get(0).equals("DownBlock1DNoSkip") ? timeEmbeddingChannels() : 0;
        if (extraInChannels != expectedExtra) {
            throw invalid("extra_in_channels %d does not match the time embedding the first block (%s) "
                    + "concatenates: %d channels", extraInChannels, downBlockTypes.get(0), expectedExtra);
        }
        checkAttentionChannels();
    }

    /** Every attention has {@code channels // 32 >= 1} heads that divide its channels. */
    private void checkAttentionChannels() {
        int n = numBlocks();
        int last = blockOutChannels[n - 1];
        checkHeads(last, "the mid block");
        for (int i = 0; i < n; i++) {
            if (downBlockTypes.get(i).equals("AttnDownBlock1D")) {
                checkHeads(blockOutChannels[i], "down block " + i);
            }
            if (upBlockTypes.get(i).equals("AttnUpBlock1D")) {
                int out = i < n - 1 ? blockOutChannels[n - 2 - i] : outChannels;
                checkHeads(out, "up block " + i);
            }
        }
    }

    private static void checkHeads(int channels, String where) {
        int heads = channels / UNet1DBlocks.CHANNELS_PER_HEAD;
        if (heads < 1 || channels % heads != 0) {
            throw invalid("%s has attention over %d channels, which need channels // 32 >= 1 heads that divide "
                    + "them", where, channels);
        }
    }

    private static void supported(String key, String value, List<String> supported) {
        if (value == null || !supported.contains(value)) {
            throw invalid("%s '%s' is not supported by UNet1DModel here (supported: %s)", key, value,
                    String.join(", ", supported));
        }
    }
}

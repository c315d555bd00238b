// Typed config.json of diffusers.models.autoencoders.autoencoder_kl.AutoencoderKL (diffusers 0.30 defaults).
package io.diffusers4j.models.vae;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.UNetMidBlock2DConfig;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.weights.ShapeCheck;
import io.diffusers4j.weights.TensorSource;

import java.util.Arrays;
import java.util.List;

import static io.diffusers4j.config.ConfigLimits.atMostEntries;
import static io.diffusers4j.config.ConfigLimits.dividesEach;
import static io.diffusers4j.config.ConfigLimits.eachInRange;
import static io.diffusers4j.config.ConfigLimits.inRange;

/**
 * The keys of an AutoencoderKL {@code config.json}, defaults from diffusers' {@code __init__}. {@code scaling_factor},
 * {@code shift_factor}, {@code latents_mean/std} and {@code force_upcast} are only carried here: the pipeline applies
 * them, as in diffusers.
 */
public class AutoencoderKLConfig extends ConfigBase {
    /**
     * Largest channel count (SD and SDXL VAEs: 512, FLUX's latent_channels 16). Sizes below the limits are still
     * checked against the weights' shapes before loading ({@link #checkWeights}).
     */
    public static final int MAX_CHANNELS = 16_384;
    /** Most blocks (SD: 4): the image shrinks by 2 per block but the last. */
    public static final int MAX_BLOCKS = 16;
    /** Most resnets per block ({@code layers_per_block}: 2). */
    public static final int MAX_LAYERS = 256;
    /** Largest {@code sample_size} in pixels, the tile size of tiled decoding (SD 512, SDXL 1024). */
    public static final int MAX_SAMPLE_SIZE = 16_384;

    public int inChannels = 3;
    public int outChannels = 3;
    public List<String> downBlockTypes = List.of("DownEncoderBlock2D");
    public List<String> upBlockTypes = List.of("UpDecoderBlock2D");
    public int[] blockOutChannels = {64};
    public int layersPerBlock = 1;
    public String actFn = "silu";
    public int latentChannels = 4;
    public int normNumGroups = 32;
    public IntOrList sampleSize = IntOrList.of(32);
    public double scalingFactor = 0.18215;
    public Double shiftFactor = null;
    public List<Double> latentsMean = null;
    public List<Double> latentsStd = null;
    public boolean forceUpcast = true;
    public boolean useQuantConv = true;
    public boolean usePostQuantConv = true;
    public boolean midBlockAddAttention = true;

    @Override
    public String defaultClassName() {
        return "AutoencoderKL";
    }

    /** {@code sample_size} (the first entry when it is a list), diffusers' tile_sample_min_size. */
    public int sampleSizeValue() {
        return sampleSize.get(0);
    }

    /** {@code 2 ** (len(block_out_channels) - 1)}, the pipelines' vae_scale_factor. */
    public int scaleFactor() {
        return 1 << (blockOutChannels.length - 1);
    }

    /** The resnet arguments the encoder and the decoder give their blocks: eps 1e-6, {@code act_fn}, groups. */
    public ResnetArgs resnetArgs() {
        return ResnetArgs.defaults().withResnetEps(1e-6).withResnetActFn(actFn).withResnetGroups(normNumGroups);
    }

    /**
     * The {@code mid_block} of the encoder and of the decoder: the last block's channels, no time embedding, one
     * attention head over all channels when {@code mid_block_add_attention}.
     */
    public UNetMidBlock2DConfig midBlock() {
        int top = blockOutChannels[blockOutChannels.length - 1];
        return UNetMidBlock2DConfig.of(top, null).withResnetArgs(resnetArgs()).withAddAttention(midBlockAddAttention)
                .withAttentionHeadDim(top);
    }

    /**
     * The sizes against the checkpoint's tensor shapes (its header only: nothing is read or allocated), so that a
     * config that does not fit its weights is refused naming the key before the model is built.
     */
    public void checkWeights(TensorSource weights) {
        int n = blockOutChannels.length;
        String boc = Arrays.toString(blockOutChannels);
        ShapeCheck w = new ShapeCheck(source(), weights)
                .count("block_out_channels", boc, n, "encoder.down_blocks")
                .count("block_out_channels", boc, n, "decoder.up_blocks")
                .dim("in_channels", inChannels, inChannels, "encoder.conv_in.weight", 1)
                .dim("latent_channels", latentChannels, 2L * latentChannels, "encoder.conv_out.weight", 0)
                .dim("latent_channels", latentChannels, latentChannels, "decoder.conv_in.weight", 1)
                .dim("out_channels", outChannels, outChannels, "decoder.conv_out.weight", 0);
        for (int i = 0; i < n; i++) {
            String down = "encoder.down_blocks." + i;
            w.dim("block_out_channels", boc, blockOutChannels[i], down + ".resnets.0.conv1.weight", 0)
                    .count("layers_per_block", layersPerBlock, layersPerBlock, down + ".resnets")
                    .count("layers_per_block", layersPerBlock, layersPerBlock + 1L, "decoder.up_blocks." + i
                            + ".resnets");
        }
    }

    @Override
    public void validate() {
        if (downBlockTypes == null || upBlockTypes == null || blockOutChannels == null) {
            throw invalid("down_block_types, up_block_types and block_out_channels must be set");
        }
        if (blockOutChannels.length == 0) {
            throw invalid("block_out_channels must not be empty");
        }
        if (downBlockTypes.size() != blockOutChannels.length || upBlockTypes.size() != blockOutChannels.length) {
            throw invalid("down_block_types %s, up_block_types %s and block_out_channels %s must have the same "
                    + "length", downBlockTypes, upBlockTypes, Arrays.toString(blockOutChannels));
        }
        if (sampleSize == null) {
            throw invalid("key 'sample_size' must be an int or a list of ints, got null");
        }
        atMostEntries("block_out_channels", blockOutChannels.length, MAX_BLOCKS);
        eachInRange("block_out_channels", blockOutChannels, 1, MAX_CHANNELS);
        inRange("in_channels", inChannels, 1, MAX_CHANNELS);
        inRange("out_channels", outChannels, 1, MAX_CHANNELS);
        inRange("latent_channels", latentChannels, 1, MAX_CHANNELS);
        inRange("layers_per_block", layersPerBlock, 1, MAX_LAYERS);
        eachInRange("sample_size", sampleSize, 1, MAX_SAMPLE_SIZE);
        inRange("norm_num_groups", normNumGroups, 1, MAX_CHANNELS);
        dividesEach("norm_num_groups", normNumGroups, "block_out_channels", blockOutChannels);
        Activations.check("act_fn", actFn);
        if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
            throw invalid("scaling_factor must be a positive number, got %s", scalingFactor);
        }
        if (latentsMean != null && latentsMean.size() != latentChannels
                || latentsStd != null && latentsStd.size() != latentChannels) {
            throw invalid("latents_mean %s and latents_std %s must have latent_channels = %d entries", latentsMean,
                    latentsStd, latentChannels);
        }
    }
}

// Typed config.json of diffusers.models.autoencoders.autoencoder_kl.AutoencoderKL (diffusers 0.30 defaults).
package io.diffusers4j.models.vae;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.UNetMidBlock2DConfig;

import java.util.Arrays;
import java.util.List;

/**
 * The keys of an AutoencoderKL {@code config.json}, defaults from diffusers' {@code __init__}. {@code scaling_factor},
 * {@code shift_factor}, {@code latents_mean/std} and {@code force_upcast} are only carried here: the pipeline applies
 * them, as in diffusers.
 */
public class AutoencoderKLConfig extends ConfigBase {
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
        if (layersPerBlock < 1) {
            throw invalid("layers_per_block must be >= 1, got %d", layersPerBlock);
        }
        if (sampleSize == null) {
            throw invalid("sample_size must be an int or a list of ints, got null");
        }
        if (latentChannels < 1 || inChannels < 1 || outChannels < 1) {
            throw invalid("in_channels %d, out_channels %d and latent_channels %d must be positive", inChannels,
                    outChannels, latentChannels);
        }
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

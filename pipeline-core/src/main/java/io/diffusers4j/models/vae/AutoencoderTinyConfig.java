// Typed config.json of diffusers.models.autoencoders.autoencoder_tiny.AutoencoderTiny (TAESD, diffusers 0.30 defaults).
package io.diffusers4j.models.vae;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.weights.ShapeCheck;
import io.diffusers4j.weights.TensorSource;

import java.util.Arrays;

import static io.diffusers4j.config.ConfigLimits.atMostEntries;
import static io.diffusers4j.config.ConfigLimits.eachInRange;
import static io.diffusers4j.config.ConfigLimits.inRange;

/**
 * The keys of an AutoencoderTiny {@code config.json} ({@code madebyollin/taesd}, {@code madebyollin/taesdxl}),
 * defaults from diffusers' {@code __init__}. {@code scaling_factor} (1.0 for TAESD) is applied by the pipelines as
 * for AutoencoderKL; {@code latent_magnitude} / {@code latent_shift} only by {@link AutoencoderTiny#scaleLatents}
 * and {@link AutoencoderTiny#unscaleLatents} (diffusers' {@code forward}, never by a pipeline).
 */
public class AutoencoderTinyConfig extends ConfigBase {
    /** Largest channel count (TAESD: 64). */
    public static final int MAX_CHANNELS = 16_384;
    /** Most stages (TAESD: 4): each but the last halves (encoder) / doubles (decoder) the image. */
    public static final int MAX_BLOCKS = 16;
    /** Most AutoencoderTinyBlocks in one stage (TAESD: 3). */
    public static final int MAX_LAYERS = 256;
    /** Largest {@code upsampling_scaling_factor} (TAESD: 2). */
    public static final int MAX_UPSAMPLING = 16;

    public int inChannels = 3;
    public int outChannels = 3;
    public int[] encoderBlockOutChannels = {64, 64, 64, 64};
    public int[] decoderBlockOutChannels = {64, 64, 64, 64};
    public String actFn = "relu";
    public String upsampleFn = "nearest";
    public int latentChannels = 4;
    public int upsamplingScalingFactor = 2;
    public int[] numEncoderBlocks = {1, 3, 3, 3};
    public int[] numDecoderBlocks = {3, 3, 3, 1};
    public double latentMagnitude = 3;
    public double latentShift = 0.5;
    public boolean forceUpcast = false;
    public double scalingFactor = 1.0;
    public double shiftFactor = 0.0;
    /**
     * Written by diffusers' {@code save_pretrained} (it registers {@code block_out_channels =
     * decoder_block_out_channels} after {@code __init__}) and ignored when read: {@link #blockOutChannels()} is
     * always the decoder's.
     */
    public int[] blockOutChannels;

    @Override
    public String defaultClassName() {
        return "AutoencoderTiny";
    }

    /** {@code config.block_out_channels} as diffusers' pipelines see it: {@code decoder_block_out_channels}. */
    public int[] blockOutChannels() {
        return decoderBlockOutChannels;
    }

    /** {@code 2 ** (len(block_out_channels) - 1)}, the pipelines' vae_scale_factor. */
    public int scaleFactor() {
        return 1 << (decoderBlockOutChannels.length - 1);
    }

    /**
     * The sizes against the checkpoint's tensor shapes (header only), so that a config that does not fit its weights
     * is refused naming the key before the model is built.
     */
    public void checkWeights(TensorSource weights) {
        new ShapeCheck(source(), weights)
                .dim("in_channels", inChannels, inChannels, "encoder.layers.0.weight", 1)
                .dim("encoder_block_out_channels", Arrays.toString(encoderBlockOutChannels),
                        encoderBlockOutChannels[0], "encoder.layers.0.weight", 0)
                .dim("latent_channels", latentChannels, latentChannels, "decoder.layers.0.weight", 1)
                .dim("decoder_block_out_channels", Arrays.toString(decoderBlockOutChannels),
                        decoderBlockOutChannels[0], "decoder.layers.0.weight", 0);
    }

    @Override
    public void validate() {
        if (encoderBlockOutChannels == null || decoderBlockOutChannels == null || numEncoderBlocks == null
                || numDecoderBlocks == null) {
            throw invalid("encoder_block_out_channels, decoder_block_out_channels, num_encoder_blocks and "
                    + "num_decoder_blocks must be set");
        }
        if (encoderBlockOutChannels.length != numEncoderBlocks.length) {
            throw invalid("`encoder_block_out_channels` should have the same length as `num_encoder_blocks`.");
        }
        if (decoderBlockOutChannels.length != numDecoderBlocks.length) {
            throw invalid("`decoder_block_out_channels` should have the same length as `num_decoder_blocks`.");
        }
        atMostEntries("encoder_block_out_channels", encoderBlockOutChannels.length, MAX_BLOCKS);
        atMostEntries("decoder_block_out_channels", decoderBlockOutChannels.length, MAX_BLOCKS);
        if (encoderBlockOutChannels.length == 0 || decoderBlockOutChannels.length == 0) {
            throw invalid("encoder_block_out_channels and decoder_block_out_channels must not be empty");
        }
        eachInRange("encoder_block_out_channels", encoderBlockOutChannels, 1, MAX_CHANNELS);
        eachInRange("decoder_block_out_channels", decoderBlockOutChannels, 1, MAX_CHANNELS);
        eachInRange("num_encoder_blocks", numEncoderBlocks, 0, MAX_LAYERS);
        eachInRange("num_decoder_blocks", numDecoderBlocks, 0, MAX_LAYERS);
        inRange("in_channels", inChannels, 1, MAX_CHANNELS);
        inRange("out_channels", outChannels, 1, MAX_CHANNELS);
        inRange("latent_channels", latentChannels, 1, MAX_CHANNELS);
        inRange("upsampling_scaling_factor", upsamplingScalingFactor, 1, MAX_UPSAMPLING);
        // diffusers builds each stride-2 encoder conv and each decoder stage conv with block_out_channels[i] in and
        // out, so a stage whose input has other channels fails in forward: refuse it here instead
        sameChannels("encoder_block_out_channels", encoderBlockOutChannels);
        sameChannels("decoder_block_out_channels", decoderBlockOutChannels);
        Activations.check("act_fn", actFn);
        if (!"nearest".equals(upsampleFn)) {
            throw invalid("key 'upsample_fn': only \"nearest\" is supported, got %s", upsampleFn);
        }
        if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
            throw invalid("scaling_factor must be a positive number, got %s", scalingFactor);
        }
        if (!(latentMagnitude > 0) || Double.isInfinite(latentMagnitude) || !Double.isFinite(latentShift)
                || !Double.isFinite(shiftFactor)) {
            throw invalid("latent_magnitude must be positive, latent_shift and shift_factor finite, got %s, %s, %s",
                    latentMagnitude, latentShift, shiftFactor);
        }
    }

    private void sameChannels(String key, int[] channels) {
        for (int c : channels) {
            if (c != channels[0]) {
                throw invalid("key '%s' is %s: AutoencoderTiny needs one channel count for every stage (its stage "
                        + "convolutions map block_out_channels[i] to itself)", key, Arrays.toString(channels));
            }
        }
    }
}

// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.UNetMidBlock2D.
package io.diffusers4j.models.blocks;

/**
 * How a {@link UNetMidBlock2D} is built, with diffusers' defaults: {@code UNetMidBlock2DConfig.of(512, null)
 * .withAttentionHeadDim(512)}. The UNet's {@code UNetMidBlock2DCrossAttn} reads the resnet settings and
 * {@code num_layers} from it too; its attention is described separately.
 *
 * @param tembChannels     null = no time embedding (the VAE)
 * @param attnGroups       null = {@code resnet_groups} when {@code resnet_time_scale_shift} is "default", else none
 * @param attentionHeadDim null = {@code in_channels} (one head)
 */
public record UNetMidBlock2DConfig(int inChannels, Integer tembChannels, int numLayers, double resnetEps,
                                   String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                                   Integer attnGroups, boolean addAttention, Integer attentionHeadDim,
                                   double outputScaleFactor) implements ResnetLayersConfig {
    private static final String BLOCK = "UNetMidBlock2D";

    /** diffusers' defaults: one layer, eps 1e-6, "swish", 32 groups, attention with head dim 1. */
    public static UNetMidBlock2DConfig of(int inChannels, Integer tembChannels) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, 1, 1e-6, "default", "swish", 32, null, true, 1,
                1.0);
    }

    public UNetMidBlock2DConfig withNumLayers(int value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, value, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, attnGroups, addAttention, attentionHeadDim, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withResnetEps(double value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, value, resnetTimeScaleShift,
                resnetActFn, resnetGroups, attnGroups, addAttention, attentionHeadDim, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withResnetTimeScaleShift(String value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetEps, value, resnetActFn,
                resnetGroups, attnGroups, addAttention, attentionHeadDim, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withResnetActFn(String value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetEps, resnetTimeScaleShift,
                value, resnetGroups, attnGroups, addAttention, attentionHeadDim, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withResnetGroups(int value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, value, attnGroups, addAttention, attentionHeadDim, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withAttnGroups(Integer value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, value, addAttention, attentionHeadDim, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withAddAttention(boolean value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, attnGroups, value, attentionHeadDim, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withAttentionHeadDim(Integer value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, attnGroups, addAttention, value, outputScaleFactor);
    }

    public UNetMidBlock2DConfig withOutputScaleFactor(double value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, attnGroups, addAttention, attentionHeadDim, value);
    }

    /** The attention's group norm groups; null = no group norm. */
    public Integer resolvedAttnGroups() {
        if (attnGroups != null) {
            return attnGroups;
        }
        return resnetTimeScaleShift.equals("default") ? resnetGroups : null;
    }

    public int resolvedAttentionHeadDim() {
        return attentionHeadDim == null ? inChannels : attentionHeadDim;
    }

    /** Every resnet keeps {@code in_channels}. */
    @Override
    public int outChannels() {
        return inChannels;
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public UNetMidBlock2DConfig validate() {
        validateLayers(BLOCK);
        ConfigChecks.positive(BLOCK, "attn_groups", attnGroups);
        ConfigChecks.positive(BLOCK, "attention_head_dim", attentionHeadDim);
        ConfigChecks.named(BLOCK, "resnet_time_scale_shift", resnetTimeScaleShift);
        return this;
    }
}

// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.UNetMidBlock2D.
package io.diffusers4j.models.blocks;

/**
 * How a {@link UNetMidBlock2D} is built, with diffusers' defaults: {@code UNetMidBlock2DConfig.of(512, null)
 * .withAttentionHeadDim(512)}. The UNet's {@code UNetMidBlock2DCrossAttn} reads {@code in_channels},
 * {@code temb_channels}, {@code num_layers} and the resnet arguments from it too; its attention is described
 * separately.
 *
 * @param tembChannels     null = no time embedding (the VAE)
 * @param resnetArgs       {@code resnet_eps}, {@code resnet_time_scale_shift}, {@code resnet_act_fn},
 *                         {@code resnet_groups}, {@code output_scale_factor}
 * @param attnGroups       null = {@code resnet_groups} when {@code resnet_time_scale_shift} is "default", else none
 * @param attentionHeadDim null = {@code in_channels} (one head)
 */
public record UNetMidBlock2DConfig(int inChannels, Integer tembChannels, int numLayers, ResnetArgs resnetArgs,
                                   Integer attnGroups, boolean addAttention, Integer attentionHeadDim)
        implements ResnetLayersConfig {
    private static final String BLOCK = "UNetMidBlock2D";

    /** diffusers' defaults: one layer, {@link ResnetArgs#defaults()}, attention with head dim 1. */
    public static UNetMidBlock2DConfig of(int inChannels, Integer tembChannels) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, 1, ResnetArgs.defaults(), null, true, 1);
    }

    public UNetMidBlock2DConfig withNumLayers(int value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, value, resnetArgs, attnGroups, addAttention,
                attentionHeadDim);
    }

    public UNetMidBlock2DConfig withResnetArgs(ResnetArgs value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, value, attnGroups, addAttention,
                attentionHeadDim);
    }

    public UNetMidBlock2DConfig withAttnGroups(Integer value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetArgs, value, addAttention,
                attentionHeadDim);
    }

    public UNetMidBlock2DConfig withAddAttention(boolean value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetArgs, attnGroups, value,
                attentionHeadDim);
    }

    public UNetMidBlock2DConfig withAttentionHeadDim(Integer value) {
        return new UNetMidBlock2DConfig(inChannels, tembChannels, numLayers, resnetArgs, attnGroups, addAttention,
                value);
    }

    /** Every resnet keeps {@code in_channels}. */
    @Override
    public int outChannels() {
        return inChannels;
    }

    /** The attention's group norm groups; null = no group norm. */
    public Integer resolvedAttnGroups() {
        if (attnGroups != null) {
            return attnGroups;
        }
        return resnetArgs.resnetTimeScaleShift().equals("default") ? resnetArgs.resnetGroups() : null;
    }

    public int resolvedAttentionHeadDim() {
        return attentionHeadDim == null ? inChannels : attentionHeadDim;
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public UNetMidBlock2DConfig validate() {
        validateLayers(BLOCK);
        ConfigChecks.positive(BLOCK, "attn_groups", attnGroups);
        ConfigChecks.positive(BLOCK, "attention_head_dim", attentionHeadDim);
        ConfigChecks.named(BLOCK, "resnet_time_scale_shift", resnetArgs.resnetTimeScaleShift());
        return this;
    }
}

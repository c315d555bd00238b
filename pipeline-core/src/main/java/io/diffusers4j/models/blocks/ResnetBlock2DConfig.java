// The __init__ keyword arguments of diffusers.models.resnet.ResnetBlock2D that this port supports.
package io.diffusers4j.models.blocks;

import io.diffusers4j.models.nn.Activations;

/**
 * How a {@link ResnetBlock2D} is built, with diffusers' defaults: {@code ResnetBlock2DConfig.of(320)
 * .withOutChannels(640).withTembChannels(1280)}. {@link #validate()} is the one place its values are checked.
 *
 * @param outChannels       null = {@code inChannels}
 * @param tembChannels      null = no time embedding ({@code temb_channels=None}, the VAE)
 * @param groupsOut         null = {@code groups}
 * @param timeEmbeddingNorm "default" (add the embedding before norm2), "scale_shift", or, without a time embedding,
 *                          any other name (for example the VAE decoder's "group"), which then means nothing
 */
public record ResnetBlock2DConfig(int inChannels, Integer outChannels, Integer tembChannels, int groups,
                                  Integer groupsOut, double eps, String nonLinearity, boolean skipTimeAct,
                                  String timeEmbeddingNorm, double outputScaleFactor) {
    private static final String BLOCK = "ResnetBlock2D";

    /** diffusers' defaults: temb_channels 512, groups 32, eps 1e-6, "swish", time_embedding_norm "default". */
    public static ResnetBlock2DConfig of(int inChannels) {
        return new ResnetBlock2DConfig(inChannels, null, 512, 32, null, 1e-6, "swish", false, "default", 1.0);
    }

    public ResnetBlock2DConfig withOutChannels(Integer value) {
        return new ResnetBlock2DConfig(inChannels, value, tembChannels, groups, groupsOut, eps, nonLinearity,
                skipTimeAct, timeEmbeddingNorm, outputScaleFactor);
    }

    public ResnetBlock2DConfig withTembChannels(Integer value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, value, groups, groupsOut, eps, nonLinearity,
                skipTimeAct, timeEmbeddingNorm, outputScaleFactor);
    }

    public ResnetBlock2DConfig withGroups(int value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, tembChannels, value, groupsOut, eps, nonLinearity,
                skipTimeAct, timeEmbeddingNorm, outputScaleFactor);
    }

    public ResnetBlock2DConfig withGroupsOut(Integer value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, tembChannels, groups, value, eps, nonLinearity,
                skipTimeAct, timeEmbeddingNorm, outputScaleFactor);
    }

    public ResnetBlock2DConfig withEps(double value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, tembChannels, groups, groupsOut, value, nonLinearity,
                skipTimeAct, timeEmbeddingNorm, outputScaleFactor);
    }

    public ResnetBlock2DConfig withNonLinearity(String value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, tembChannels, groups, groupsOut, eps, value,
                skipTimeAct, timeEmbeddingNorm, outputScaleFactor);
    }

    public ResnetBlock2DConfig withSkipTimeAct(boolean value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, tembChannels, groups, groupsOut, eps, nonLinearity,
                value, timeEmbeddingNorm, outputScaleFactor);
    }

    public ResnetBlock2DConfig withTimeEmbeddingNorm(String value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, tembChannels, groups, groupsOut, eps, nonLinearity,
                skipTimeAct, value, outputScaleFactor);
    }

    public ResnetBlock2DConfig withOutputScaleFactor(double value) {
        return new ResnetBlock2DConfig(inChannels, outChannels, tembChannels, groups, groupsOut, eps, nonLinearity,
                skipTimeAct, timeEmbeddingNorm, value);
    }

    /** {@code out_channels}, or {@code in_channels} when it is None. */
    public int resolvedOutChannels() {
        return outChannels == null ? inChannels : outChannels;
    }

    /** {@code groups_out}, or {@code groups} when it is None. */
    public int resolvedGroupsOut() {
        return groupsOut == null ? groups : groupsOut;
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public ResnetBlock2DConfig validate() {
        ConfigChecks.positive(BLOCK, "in_channels", inChannels);
        ConfigChecks.positive(BLOCK, "out_channels", outChannels);
        ConfigChecks.positive(BLOCK, "temb_channels", tembChannels);
        ConfigChecks.positive(BLOCK, "groups", groups);
        ConfigChecks.positive(BLOCK, "groups_out", groupsOut);
        ConfigChecks.named(BLOCK, "non_linearity", nonLinearity);
        ConfigChecks.named(BLOCK, "time_embedding_norm", timeEmbeddingNorm);
        Activations.check(nonLinearity);
        if (timeEmbeddingNorm.equals("ada_group") || timeEmbeddingNorm.equals("spatial")) {
            throw new IllegalArgumentException(BLOCK + ": time_embedding_norm '" + timeEmbeddingNorm
                    + "' needs ResnetBlockCondNorm2D, which is not supported (supported: default, scale_shift)");
        }
        if (tembChannels != null && !timeEmbeddingNorm.equals("default")
                && !timeEmbeddingNorm.equals("scale_shift")) {
            throw new IllegalArgumentException("unknown time_embedding_norm : " + timeEmbeddingNorm
                    + " (supported: default, scale_shift)");
        }
        return this;
    }
}

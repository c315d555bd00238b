// The __init__ keyword arguments of diffusers.models.embeddings.TimestepEmbedding.
package io.diffusers4j.models.blocks;

import io.diffusers4j.models.nn.Activations;

/**
 * How a {@link TimestepEmbedding} is built, with diffusers' defaults: {@code TimestepEmbeddingConfig.of(320, 1280)}.
 *
 * @param actFn       null = no activation between the layers
 * @param outDim      null = {@code time_embed_dim}
 * @param postActFn   null = none
 * @param condProjDim null = no {@code cond_proj}
 */
public record TimestepEmbeddingConfig(int inChannels, int timeEmbedDim, String actFn, Integer outDim,
                                      String postActFn, Integer condProjDim, boolean sampleProjBias) {
    private static final String BLOCK = "TimestepEmbedding";

    /** diffusers' defaults: "silu", no post activation, no cond_proj, biased layers. */
    public static TimestepEmbeddingConfig of(int inChannels, int timeEmbedDim) {
        return new TimestepEmbeddingConfig(inChannels, timeEmbedDim, "silu", null, null, null, true);
    }

    public TimestepEmbeddingConfig withActFn(String value) {
        return new TimestepEmbeddingConfig(inChannels, timeEmbedDim, value, outDim, postActFn, condProjDim,
                sampleProjBias);
    }

    public TimestepEmbeddingConfig withOutDim(Integer value) {
        return new TimestepEmbeddingConfig(inChannels, timeEmbedDim, actFn, value, postActFn, condProjDim,
                sampleProjBias);
    }

    public TimestepEmbeddingConfig withPostActFn(String value) {
        return new TimestepEmbeddingConfig(inChannels, timeEmbedDim, actFn, outDim, value, condProjDim,
                sampleProjBias);
    }

    public TimestepEmbeddingConfig withCondProjDim(Integer value) {
        return new TimestepEmbeddingConfig(inChannels, timeEmbedDim, actFn, outDim, postActFn, value,
                sampleProjBias);
    }

    public TimestepEmbeddingConfig withSampleProjBias(boolean value) {
        return new TimestepEmbeddingConfig(inChannels, timeEmbedDim, actFn, outDim, postActFn, condProjDim, value);
    }

    public int resolvedOutDim() {
        return outDim == null ? timeEmbedDim : outDim;
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public TimestepEmbeddingConfig validate() {
        ConfigChecks.positive(BLOCK, "in_channels", inChannels);
        ConfigChecks.positive(BLOCK, "time_embed_dim", timeEmbedDim);
        ConfigChecks.positive(BLOCK, "out_dim", outDim);
        ConfigChecks.positive(BLOCK, "cond_proj_dim", condProjDim);
        if (actFn != null) {
            Activations.check(actFn);
        }
        if (postActFn != null) {
            Activations.check(postActFn);
        }
        return this;
    }
}

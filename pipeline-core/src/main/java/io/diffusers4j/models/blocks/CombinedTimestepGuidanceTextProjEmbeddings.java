// Port of diffusers.models.embeddings.CombinedTimestepGuidanceTextProjEmbeddings (FLUX.1-dev's conditioning).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.weights.WeightScope;

/**
 * {@link CombinedTimestepTextProjEmbeddings} plus the guidance scale embedded like a timestep (the same 256-channel
 * sinusoids, its own {@code guidance_embedder} {@link TimestepEmbedding}): {@code timestep_emb + guidance_emb +
 * text_embedder(pooled)}, summed in that order. Weights under {@code timestep_embedder.*},
 * {@code guidance_embedder.*} and {@code text_embedder.*}.
 */
public final class CombinedTimestepGuidanceTextProjEmbeddings {
    private final Timesteps timeProj;
    private final TimestepEmbedding timestepEmbedder;
    private final TimestepEmbedding guidanceEmbedder;
    private final PixArtAlphaTextProjection textEmbedder;

    public CombinedTimestepGuidanceTextProjEmbeddings(WeightScope scope, int embeddingDim, int pooledProjectionDim) {
        int channels = CombinedTimestepTextProjEmbeddings.TIME_PROJ_CHANNELS;
        this.timeProj = new Timesteps(scope.manager(), channels, true, 0);
        this.timestepEmbedder = new TimestepEmbedding(scope.pp("timestep_embedder"),
                TimestepEmbeddingConfig.of(channels, embeddingDim));
        this.guidanceEmbedder = new TimestepEmbedding(scope.pp("guidance_embedder"),
                TimestepEmbeddingConfig.of(channels, embeddingDim));
        this.textEmbedder = new PixArtAlphaTextProjection(scope.pp("text_embedder"), pooledProjectionDim,
                embeddingDim, null, "silu");
    }

    /** {@code timestep [B]}, {@code guidance [B]}, {@code pooled [B, pooled_dim]}; {@code [B, dim]}. */
    public NDArray forward(NDArray timestep, NDArray guidance, NDArray pooledProjection) {
        NDArray conditioning = CombinedTimestepTextProjEmbeddings.embedTimestep(timeProj, timestepEmbedder, timestep,
                pooledProjection);
        try (NDArray g = CombinedTimestepTextProjEmbeddings.embedTimestep(timeProj, guidanceEmbedder, guidance,
                pooledProjection); NDArray pooled = textEmbedder.forward(pooledProjection)) {
            return conditioning.addi(g).addi(pooled);
        }
    }
}

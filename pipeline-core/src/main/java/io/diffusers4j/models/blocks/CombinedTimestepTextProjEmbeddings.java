// Port of diffusers.models.embeddings.CombinedTimestepTextProjEmbeddings (SD3's and FLUX.1-schnell's conditioning).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code timestep_embedder(time_proj(timestep).to(pooled.dtype)) + text_embedder(pooled_projection)}: the timestep
 * through 256 sinusoidal channels ({@code flip_sin_to_cos=True}, shift 0) and a {@link TimestepEmbedding} to
 * {@code embedding_dim}, plus a SiLU {@link PixArtAlphaTextProjection} of the pooled text embedding. Weights under
 * {@code timestep_embedder.*} and {@code text_embedder.*}.
 */
public final class CombinedTimestepTextProjEmbeddings {
    /** The sinusoidal channels of the timestep ({@code Timesteps(num_channels=256, ...)}). */
    public static final int TIME_PROJ_CHANNELS = 256;

    private final Timesteps timeProj;
    private final TimestepEmbedding timestepEmbedder;
    private final PixArtAlphaTextProjection textEmbedder;

    public CombinedTimestepTextProjEmbeddings(WeightScope scope, int embeddingDim, int pooledProjectionDim) {
        this.timeProj = new Timesteps(scope.manager(), TIME_PROJ_CHANNELS, true, 0);
        this.timestepEmbedder = new TimestepEmbedding(scope.pp("timestep_embedder"),
                TimestepEmbeddingConfig.of(TIME_PROJ_CHANNELS, embeddingDim));
        this.textEmbedder = new PixArtAlphaTextProjection(scope.pp("text_embedder"), pooledProjectionDim,
                embeddingDim, null, "silu");
    }

    /** {@code timestep [B]} (any numeric dtype), {@code pooled [B, pooled_dim]}; {@code [B, dim]} in pooled's dtype. */
    public NDArray forward(NDArray timestep, NDArray pooledProjection) {
        NDArray conditioning = embedTimestep(timeProj, timestepEmbedder, timestep, pooledProjection);
        try (NDArray pooled = textEmbedder.forward(pooledProjection)) {
            return conditioning.addi(pooled);
        }
    }

    /** {@code embedder(time_proj(t).to(like.dtype))}, in {@code like}'s manager. */
    static NDArray embedTimestep(Timesteps timeProj, TimestepEmbedding embedder, NDArray timestep, NDArray like) {
        NDArray tEmb;
        try (NDArray proj = timeProj.forward(timestep)) {
            tEmb = proj.toType(like.getDataType(), true);
        }
        tEmb.attach(like.getManager());
        try (NDArray in = tEmb) {
            return embedder.forward(in, null);
        }
    }
}

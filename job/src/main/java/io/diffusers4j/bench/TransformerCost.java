// The FLOPs of one SD3 / FLUX transformer call and the parameters of the model, derived from the typed config.
package io.diffusers4j.bench;

import io.diffusers4j.models.transformers.FluxTransformer2DConfig;
import io.diffusers4j.models.transformers.SD3Transformer2DConfig;

/**
 * What one transformer call costs, counted from the config as the op probes count it ({@code OpProfiler}: 2 FLOPs per
 * multiply-add of every linear layer, convolution and attention product; norms, activations and the rotary
 * embedding are not counted). With {@code B} the call's batch, {@code N} image tokens, {@code T} text tokens,
 * {@code L = N + T}, {@code D} the inner width (heads x head dim):
 * <ul>
 *   <li>a joint block (SD3's, FLUX's double-stream): {@code 24 B L D^2} for the q/k/v/out projections (4) and the
 *       4x feed-forward (8) of both streams, {@code 4 B L^2 D} for the two attention products over the joint
 *       sequence, {@code 24 B D^2} for the two adaLN-Zero modulations (6D each);</li>
 *   <li>SD3's last block ({@code context_pre_only}): image queries only: {@code 24 B N D^2 + 4 B T D^2} (text keys
 *       and values) {@code + 4 B N L D + 16 B D^2} (adaLN-Zero and the continuous text norm, 2D);</li>
 *   <li>FLUX's single-stream block: {@code 24 B L D^2} (q/k/v 3, the 4x MLP 4, the output over the concatenated
 *       5D 5) {@code + 4 B L^2 D + 6 B D^2} (its 3D modulation);</li>
 *   <li>outside the blocks: the patch embedding, the text projection ({@code 2 B T J D}, {@code J} =
 *       joint_attention_dim), the timestep / pooled-text embedders, the output norm and projection.</li>
 * </ul>
 * Parameters count every weight and bias the model holds (and SD3's position table, a checkpoint buffer).
 *
 * @param outside     FLOPs outside the blocks
 * @param block       FLOPs of one joint (double-stream) block
 * @param blocks      how many joint blocks of that cost the call runs
 * @param lastBlock   FLOPs of SD3's last ({@code context_pre_only}) block, 0 for FLUX
 * @param singleBlock FLOPs of one FLUX single-stream block, 0 for SD3
 * @param singles     how many single-stream blocks the call runs
 */
record TransformerCost(double outside, double block, int blocks, double lastBlock, double singleBlock, int singles) {
    /** FLOPs of the whole call. */
    double total() {
        return outside + blocks * block + lastBlock + singles * singleBlock;
    }

    /**
     * One {@code SD3Transformer2DModel} call of {@code cfg} (num_layers blocks, the last {@code context_pre_only}) on
     * {@code batch} latents of {@code latentH x latentW} and {@code textTokens} text tokens (77 CLIP + the T5 rows).
     */
    static TransformerCost sd3(SD3Transformer2DConfig cfg, long batch, long latentH, long latentW, long textTokens) {
        double b = batch;
        double d = cfg.innerDim();
        long p = cfg.patchSize;
        double n = (double) (latentH / p) * (latentW / p);
        double t = textTokens;
        double l = n + t;
        double outside = 2 * b * n * d * cfg.inChannels * p * p                       // pos_embed.proj
                + 2 * b * (256 * d + d * d + cfg.pooledProjectionDim * d + d * d)     // time_text_embed
                + 2 * b * t * cfg.jointAttentionDim * d                               // context_embedder
                + 2 * b * d * 2 * d                                                   // norm_out.linear
                + 2 * b * n * d * p * p * cfg.resolvedOutChannels();                  // proj_out
        double last = 24 * b * n * d * d + 4 * b * t * d * d + 4 * b * n * l * d + 16 * b * d * d;
        return new TransformerCost(outside, jointBlock(b, l, d), cfg.numLayers - 1, last, 0, 0);
    }

    /**
     * One {@code FluxTransformer2DModel} call of {@code cfg} on {@code batch} packed latents of {@code imageTokens}
     * tokens and {@code textTokens} T5 tokens (max_sequence_length).
     */
    static TransformerCost flux(FluxTransformer2DConfig cfg, long batch, long imageTokens, long textTokens) {
        double b = batch;
        double d = cfg.innerDim();
        double n = imageTokens;
        double t = textTokens;
        double l = n + t;
        double timestep = 256 * d + d * d;
        double outside = 2 * b * n * cfg.inChannels * d                               // x_embedder
                + 2 * b * (timestep * (cfg.guidanceEmbeds ? 2 : 1) + cfg.pooledProjectionDim * d + d * d)
                + 2 * b * t * cfg.jointAttentionDim * d                               // context_embedder
                + 2 * b * d * 2 * d                                                   // norm_out.linear
                + 2 * b * n * d * cfg.outFeatures();                                  // proj_out
        double single = 24 * b * l * d * d + 4 * b * l * l * d + 6 * b * d * d;
        return new TransformerCost(outside, jointBlock(b, l, d), cfg.numLayers, 0, single, cfg.numSingleLayers);
    }

    private static double jointBlock(double b, double l, double d) {
        return 24 * b * l * d * d + 4 * b * l * l * d + 24 * b * d * d;
    }

    /** The parameters of an {@code SD3Transformer2DModel} of {@code cfg}. */
    static long sd3Parameters(SD3Transformer2DConfig cfg) {
        long d = cfg.innerDim();
        long p = cfg.patchSize;
        long out = p * p * cfg.resolvedOutChannels();
        long grid = cfg.posEmbedMaxSize != null ? (long) cfg.posEmbedMaxSize * cfg.posEmbedMaxSize : 0;
        long outside = d * cfg.inChannels * p * p + d + grid * d                      // pos_embed
                + 256 * d + d + d * d + d + (long) cfg.pooledProjectionDim * d + d + d * d + d
                + (long) cfg.jointAttentionDim * d + d                                // context_embedder
                + 2 * d * d + 2 * d + d * out + out;                                  // norm_out, proj_out
        long block = 36 * d * d + 30 * d;
        long last = 23 * d * d + 20 * d;
        return outside + (cfg.numLayers - 1) * block + last;
    }

    /** The parameters of a {@code FluxTransformer2DModel} of {@code cfg}. */
    static long fluxParameters(FluxTransformer2DConfig cfg) {
        long d = cfg.innerDim();
        long h = cfg.attentionHeadDim;
        long timestep = 256 * d + d + d * d + d;
        long outside = (long) cfg.inChannels * d + d + (long) cfg.jointAttentionDim * d + d
                + timestep * (cfg.guidanceEmbeds ? 2 : 1) + (long) cfg.pooledProjectionDim * d + d + d * d + d
                + 2 * d * d + 2 * d + d * cfg.outFeatures() + cfg.outFeatures();
        long block = 36 * d * d + 30 * d + 4 * h;
        long single = 15 * d * d + 11 * d + 2 * h;
        return outside + cfg.numLayers * block + cfg.numSingleLayers * single;
    }
}

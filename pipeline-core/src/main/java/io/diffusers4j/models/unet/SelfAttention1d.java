// Port of diffusers.models.unets.unet_1d_blocks.SelfAttention1d (multi-head self-attention over the length axis).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * One-group norm, then {@code query}, {@code key}, {@code value} projections of the {@code [N, C, L]} input seen
 * as L tokens of C channels, {@code C / 32} heads (diffusers' {@code n_head}), queries and keys each scaled by
 * {@code d^-1/4}, a softmax over the keys, {@code proj_attn}, and the residual.
 */
public final class SelfAttention1d {
    private final GroupNorm groupNorm;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear projAttn;
    private final int channels;
    private final int heads;

    public SelfAttention1d(WeightScope scope, int channels, int heads) {
        if (heads < 1 || channels % heads != 0) {
            throw new IllegalArgumentException("SelfAttention1d: " + channels + " channels cannot be split into "
                    + heads + " heads (n_head = channels // 32 must be >= 1 and divide the channels)");
        }
        this.channels = channels;
        this.heads = heads;
        this.groupNorm = GroupNorm.load(scope.pp("group_norm"), 1, channels, 1e-5);
        this.query = Linear.load(scope.pp("query"), channels, channels, true);
        this.key = Linear.load(scope.pp("key"), channels, channels, true);
        this.value = Linear.load(scope.pp("value"), channels, channels, true);
        this.projAttn = Linear.load(scope.pp("proj_attn"), channels, channels, true);
    }

    /** {@code x}: {@code [N, C, L]}; the result (same shape) is in the manager of {@code x}. */
    public NDArray forward(NDArray x) {
        return ForwardScope.run(x.getManager(), sub -> {
            long batch = x.getShape().get(0);
            long length = x.getShape().get(2);
            long headDim = channels / heads;
            NDArray tokens = groupNorm.forward(x).transpose(0, 2, 1);
            float scale = (float) (1 / Math.sqrt(Math.sqrt(headDim)));
            NDArray q = split(query.forward(tokens), batch, length, headDim).muli(scale);
            NDArray k = split(key.forward(tokens), batch, length, headDim).muli(scale);
            NDArray v = split(value.forward(tokens), batch, length, headDim);
            NDArray probs = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
            NDArray merged = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, length, channels);
            return projAttn.forward(merged).transpose(0, 2, 1).add(x);
        }, x);
    }

    /** {@code [N, L, H * d]} to {@code [N, H, L, d]} (diffusers' transpose_for_scores). */
    private NDArray split(NDArray projection, long batch, long length, long headDim) {
        return projection.reshape(batch, length, heads, headDim).transpose(0, 2, 1, 3);
    }
}

// Port of transformers.models.t5.modeling_t5.T5Attention (the encoder's self-attention, eager implementation).
package io.diffusers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * Multi-head self-attention with bias-free {@code q/k/v/o} projections of width {@code num_heads * d_kv} and no
 * {@code 1/sqrt(d_kv)} scaling (Mesh TensorFlow folds it into the initialisation): {@code softmax(Q K^T +
 * position_bias) V}, the softmax taken in float32 and cast back to the scores' dtype. The position bias (relative
 * position buckets looked up in {@code relative_attention_bias}, which only block 0 has, plus the padding mask) is
 * computed once per forward and shared by every block, as in transformers.
 */
final class T5Attention {
    private final int numHeads;
    private final int dKv;
    private final int numBuckets;
    private final int maxDistance;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    /** {@code [num_buckets, num_heads]}, or null (every block but the first). */
    private final NDArray relativeAttentionBias;

    /** Builds under {@code scope} = {@code encoder.block.<i>.layer.0.SelfAttention}, in transformers' order. */
    T5Attention(WeightScope scope, T5Config config, boolean hasRelativeAttentionBias) {
        this.numHeads = config.numHeads;
        this.dKv = config.dKv;
        this.numBuckets = config.relativeAttentionNumBuckets;
        this.maxDistance = config.relativeAttentionMaxDistance;
        long inner = config.innerDim();
        this.q = Linear.load(scope.pp("q"), config.dModel, inner, false);
        this.k = Linear.load(scope.pp("k"), config.dModel, inner, false);
        this.v = Linear.load(scope.pp("v"), config.dModel, inner, false);
        this.o = Linear.load(scope.pp("o"), inner, config.dModel, false);
        this.relativeAttentionBias = hasRelativeAttentionBias
                ? scope.pp("relative_attention_bias").get("weight", numBuckets, numHeads) : null;
    }

    /**
     * {@code compute_bias(length, length)}: {@code [1, num_heads, length, length]} in the bias weight's dtype, in
     * {@code manager}.
     */
    NDArray computeBias(NDManager manager, int length) {
        int[] table = T5RelativePositionBucket.table(length, numBuckets, maxDistance);
        long[] buckets = new long[length * length];
        for (int query = 0; query < length; query++) {
            for (int memory = 0; memory < length; memory++) {
                buckets[query * length + memory] = table[memory - query + length - 1];
            }
        }
        NDArray index = manager.create(buckets, new Shape(length, length));
        NDArray values = Embedding.embedding(index, relativeAttentionBias, SparseFormat.DENSE).singletonOrThrow();
        // (query, key, heads) -> (1, heads, query, key); the intermediates stay in manager until it closes
        return values.transpose(2, 0, 1).expandDims(0);
    }

    /**
     * {@code x} {@code [B, L, d_model]} (the layer-normed hidden state), {@code positionBias} broadcasting to
     * {@code [B, heads, L, L]} in the same dtype. The result belongs to the manager of {@code x}.
     */
    NDArray forward(NDArray x, NDArray positionBias) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        NDArray query = toHeads(q.forward(x), batch, length);
        NDArray key = toHeads(k.forward(x), batch, length);
        NDArray value = toHeads(v.forward(x), batch, length);
        NDArray scores;
        try (NDArray keyT = key.transpose(0, 1, 3, 2)) {
            scores = query.matMul(keyT);
        }
        query.close();
        key.close();
        scores.addi(positionBias);
        NDArray weights;
        DataType dtype = scores.getDataType();
        if (dtype == DataType.FLOAT32) {
            weights = scores.softmax(-1);
        } else {
            try (NDArray up = scores.toType(DataType.FLOAT32, false); NDArray p = up.softmax(-1)) {
                weights = p.toType(dtype, false);
            }
        }
        scores.close();
        NDArray context = weights.matMul(value);
        weights.close();
        value.close();
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, length, (long) numHeads * dKv);
        context.close();
        NDArray out = o.forward(merged);
        merged.close();
        return out;
    }

    /** {@code [B, L, H*D] -> [B, H, L, D]} (transformers' {@code shape}). */
    private NDArray toHeads(NDArray t, long batch, long length) {
        NDArray out = t.reshape(batch, length, numHeads, dKv).transpose(0, 2, 1, 3);
        if (out != t) {
            t.close();
        }
        return out;
    }
}

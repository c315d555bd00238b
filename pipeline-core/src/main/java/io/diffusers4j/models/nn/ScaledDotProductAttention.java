// softmax(Q K^T * scale + mask) V as diffusers' AttnProcessor computes it, with sliced and chunked variants.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * The one attention function of the project. Inputs are {@code [batch*heads, L, headDim]} (diffusers'
 * {@code head_to_batch_dim} layout); the mask, if any, is additive and broadcasts to {@code [batch*heads, Lq, Lk]}.
 * {@code upcast} computes scores and softmax in float32 (diffusers' upcast_attention / upcast_softmax).
 */
public final class ScaledDotProductAttention {
    private ScaledDotProductAttention() {
    }

    public static NDArray compute(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcast,
                                  AttentionOptions options) {
        long bh = q.getShape().get(0);
        int slice = options == null ? 0 : options.sliceSize();
        if (slice > 0 && slice < bh) {
            NDList parts = new NDList();
            for (long i = 0; i < bh; i += slice) {
                NDIndex idx = new NDIndex("{}:{}", i, Math.min(bh, i + slice));
                NDArray m = mask == null || mask.getShape().get(0) == 1 ? mask : mask.get(idx);
                parts.add(chunked(q.get(idx), k.get(idx), v.get(idx), m, scale, upcast, options));
            }
            return NDArrays.concat(parts, 0);
        }
        return chunked(q, k, v, mask, scale, upcast, options);
    }

    private static NDArray chunked(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcast,
                                   AttentionOptions options) {
        long bh = q.getShape().get(0);
        long lq = q.getShape().get(1);
        long lk = k.getShape().get(1);
        if (options == null || !options.memoryEfficient()) {
            return dense(q, k, v, mask, scale, upcast);
        }
        long rows = Math.max(1, options.chunkBytes() / Math.max(1, bh * lk * 4));
        if (rows >= lq) {
            return dense(q, k, v, mask, scale, upcast);
        }
        NDList parts = new NDList();
        for (long i = 0; i < lq; i += rows) {
            NDIndex idx = new NDIndex(":, {}:{}", i, Math.min(lq, i + rows));
            NDArray m = mask == null || mask.getShape().get(1) == 1 ? mask : mask.get(idx);
            parts.add(dense(q.get(idx), k, v, m, scale, upcast));
        }
        return NDArrays.concat(parts, 1);
    }

    private static NDArray dense(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcast) {
        DataType dtype = q.getDataType();
        boolean cast = upcast && dtype != DataType.FLOAT32;
        NDArray qq = cast ? q.toType(DataType.FLOAT32, false) : q;
        NDArray kk = cast ? k.toType(DataType.FLOAT32, false) : k;
        NDArray scores = qq.matMul(kk.transpose(0, 2, 1)).muli(scale);
        if (mask != null) {
            scores.addi(cast ? mask.toType(DataType.FLOAT32, false) : mask);
        }
        NDArray probs = scores.softmax(-1);
        if (cast) {
            probs = probs.toType(dtype, false);
        }
        return probs.matMul(v);
    }
}

// softmax(Q K^T * scale + mask) V as diffusers' AttnProcessor / SlicedAttnProcessor compute it, plus query chunking.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * The one attention function of the project. Inputs are {@code [batch*heads, L, headDim]} (diffusers'
 * {@code head_to_batch_dim} layout); the mask, if any, is additive and broadcasts to {@code [batch*heads, Lq, Lk]}.
 *
 * <p>{@code upcastAttention} computes the scores (and softmax) in float32 (diffusers' {@code upcast_attention});
 * {@code upcastSoftmax} computes only the softmax in float32 ({@code upcast_softmax}); the probabilities are cast back
 * to the input dtype before multiplying by V, as diffusers' {@code get_attention_scores} does. The result is in the
 * manager of {@code q}. The query is scaled before the product (cheaper than scaling the score matrix; the same up
 * to float rounding). Temporaries of the score size are closed as soon as they are used.
 */
public final class ScaledDotProductAttention {
    private ScaledDotProductAttention() {
    }

    /**
     * Attention with {@code upcast} applied to both scores and softmax. Slicing of {@code auto}/{@code max} options
     * resolves against {@code batch*heads}, since the head count is not known here.
     */
    public static NDArray compute(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcast,
                                  AttentionOptions options) {
        return compute(q, k, v, mask, scale, upcast, upcast, options, Math.toIntExact(q.getShape().get(0)));
    }

    /**
     * Attention of a module with {@code heads} heads: the slice size of {@code options} resolves against it like
     * diffusers' {@code set_attention_slice}.
     */
    public static NDArray compute(NDArray q, NDArray k, NDArray v, NDArray mask, float scale,
                                  boolean upcastAttention, boolean upcastSoftmax, AttentionOptions options,
                                  int heads) {
        long bh = q.getShape().get(0);
        int slice = options == null ? 0 : options.sliceSizeFor(heads);
        if (slice > 0 && slice < bh) {
            NDList parts = new NDList();
            for (long i = 0; i < bh; i += slice) {
                NDIndex idx = new NDIndex("{}:{}", i, Math.min(bh, i + slice));
                NDArray m = mask == null || mask.getShape().get(0) == 1 ? mask : mask.get(idx);
                parts.add(chunked(q.get(idx), k.get(idx), v.get(idx), m, scale, upcastAttention, upcastSoftmax,
                        options));
            }
            NDArray out = NDArrays.concat(parts, 0);
            parts.close();
            return out;
        }
        return chunked(q, k, v, mask, scale, upcastAttention, upcastSoftmax, options);
    }

    private static NDArray chunked(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcastAttention,
                                   boolean upcastSoftmax, AttentionOptions options) {
        long bh = q.getShape().get(0);
        long lq = q.getShape().get(1);
        long lk = k.getShape().get(1);
        if (options == null || !options.memoryEfficient()) {
            return dense(q, k, v, mask, scale, upcastAttention, upcastSoftmax);
        }
        long rows = Math.max(1, options.chunkBytes() / Math.max(1, bh * lk * 4));
        if (rows >= lq) {
            return dense(q, k, v, mask, scale, upcastAttention, upcastSoftmax);
        }
        NDList parts = new NDList();
        for (long i = 0; i < lq; i += rows) {
            NDIndex idx = new NDIndex(":, {}:{}", i, Math.min(lq, i + rows));
            NDArray m = mask == null || mask.getShape().get(1) == 1 ? mask : mask.get(idx);
            parts.add(dense(q.get(idx), k, v, m, scale, upcastAttention, upcastSoftmax));
        }
        NDArray out = NDArrays.concat(parts, 1);
        parts.close();
        return out;
    }

    private static NDArray dense(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcastAttention,
                                 boolean upcastSoftmax) {
        DataType dtype = q.getDataType();
        boolean castQk = upcastAttention && dtype != DataType.FLOAT32;
        NDArray qq = castQk ? q.toType(DataType.FLOAT32, false) : q;
        NDArray qs = qq.mul(scale);
        if (qq != q) {
            qq.close();
        }
        NDArray kk = castQk ? k.toType(DataType.FLOAT32, false) : k;
        NDArray kt = kk.transpose(0, 2, 1);
        NDArray scores = qs.matMul(kt);
        qs.close();
        kt.close();
        if (kk != k) {
            kk.close();
        }
        if (mask != null) {
            if (mask.getDataType() == scores.getDataType()) {
                scores.addi(mask);
            } else {
                try (NDArray m = mask.toType(scores.getDataType(), false)) {
                    scores.addi(m);
                }
            }
        }
        if (upcastSoftmax && scores.getDataType() != DataType.FLOAT32) {
            NDArray up = scores.toType(DataType.FLOAT32, false);
            scores.close();
            scores = up;
        }
        NDArray probs = scores.softmax(-1);
        scores.close();
        if (probs.getDataType() != dtype) {
            NDArray down = probs.toType(dtype, false);
            probs.close();
            probs = down;
        }
        NDArray out = probs.matMul(v);
        probs.close();
        return out;
    }
}

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

    /**
     * Attention of {@code [batch, heads, L, headDim]} inputs (strided views are fine), as diffusers' torch-2
     * processors call {@code F.scaled_dot_product_attention}; no mask. The result is {@code [batch, heads, Lq,
     * headDim]} in the manager of {@code q}. With the fused kernel the inputs go to it as they are; otherwise they are
     * laid out as {@code [batch*heads, L, headDim]} for {@link #compute} (slicing and query chunking apply).
     */
    public static NDArray computeHeads(NDArray q, NDArray k, NDArray v, float scale, AttentionOptions options) {
        long b = q.getShape().get(0);
        long heads = q.getShape().get(1);
        long lq = q.getShape().get(2);
        long d = q.getShape().get(3);
        long lk = k.getShape().get(2);
        int slice = options == null ? 0 : options.sliceSizeFor((int) heads);
        if ((slice == 0 || slice >= b * heads) && useFused(q, lk, options)) {
            return fused(q, k, v, null, scale);
        }
        try (NDArray q3 = q.reshape(b * heads, lq, d); NDArray k3 = k.reshape(b * heads, lk, d);
             NDArray v3 = v.reshape(b * heads, lk, v.getShape().get(3));
             NDArray out = compute(q3, k3, v3, null, scale, false, false, options, (int) heads)) {
            return out.reshape(b, heads, lq, out.getShape().get(2));
        }
    }

    /**
     * Memory-efficient attention: the score matrix is computed in blocks of about {@code chunkBytes} bytes (whole
     * query rows of one or more batch*head entries, or row ranges of one entry), each block's softmax and product
     * done before the next. Besides bounding memory this keeps the block in cache, which on CPU is faster than one
     * large score matrix.
     */
    private static NDArray chunked(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcastAttention,
                                   boolean upcastSoftmax, AttentionOptions options) {
        long bh = q.getShape().get(0);
        long lq = q.getShape().get(1);
        long lk = k.getShape().get(1);
        if (useFused(q, lk, options)) {
            return fused(q, k, v, mask, scale);
        }
        long rowBytes = lk * 4;
        if (options == null || !options.memoryEfficient() || bh * lq * rowBytes <= options.chunkBytes()) {
            return dense(q, k, v, mask, scale, upcastAttention, upcastSoftmax);
        }
        long rows = Math.max(1, options.chunkBytes() / rowBytes);
        long entries = 1;
        if (rows >= lq) {
            rows = lq;
            entries = Math.max(1, options.chunkBytes() / (lq * rowBytes));
        }
        NDList outer = new NDList();
        for (long b = 0; b < bh; b += entries) {
            NDIndex byEntry = new NDIndex("{}:{}", b, Math.min(bh, b + entries));
            boolean allEntries = entries >= bh;
            NDArray qb = allEntries ? q : q.get(byEntry);
            NDArray kb = allEntries ? k : k.get(byEntry);
            NDArray vb = allEntries ? v : v.get(byEntry);
            NDArray mb = mask == null || mask.getShape().get(0) == 1 || allEntries ? mask : mask.get(byEntry);
            if (rows >= lq) {
                outer.add(dense(qb, kb, vb, mb, scale, upcastAttention, upcastSoftmax));
                continue;
            }
            NDList parts = new NDList();
            for (long r = 0; r < lq; r += rows) {
                NDIndex byRow = new NDIndex(":, {}:{}", r, Math.min(lq, r + rows));
                NDArray mr = mb == null || mb.getShape().get(1) == 1 ? mb : mb.get(byRow);
                try (NDArray qr = qb.get(byRow)) {
                    parts.add(dense(qr, kb, vb, mr, scale, upcastAttention, upcastSoftmax));
                }
            }
            outer.add(NDArrays.concat(parts, 1));
            parts.close();
        }
        if (outer.size() == 1) {
            return outer.get(0);
        }
        NDArray out = NDArrays.concat(outer, 0);
        outer.close();
        return out;
    }

    /**
     * Memory-efficient attention uses libtorch's fused kernel when it is available: always on a GPU, and on the CPU
     * for {@value #FUSED_MIN_KEYS} keys or more (below that, e.g. cross-attention over 77 text tokens, the plain
     * products are as fast and the score matrix is small).
     */
    static final long FUSED_MIN_KEYS = 256;

    private static boolean useFused(NDArray q, long lk, AttentionOptions options) {
        return options != null && options.memoryEfficient() && options.fused()
                && (q.getDevice().isGpu() || lk >= FUSED_MIN_KEYS)
                && TorchOps.attentionSupports(q) && TorchOps.available();
    }

    private static NDArray fused(NDArray q, NDArray k, NDArray v, NDArray mask, float scale) {
        long t0 = OpProfiler.start();
        NDArray m = mask == null || mask.getDataType() == q.getDataType() ? mask : mask.toType(q.getDataType(), false);
        NDArray out = TorchOps.attention(q, k, v, m, scale);
        if (m != mask) {
            m.close();
        }
        if (t0 != 0L) {
            // two products of q's elements with every key: [bh, Lk, d] or [b, heads, Lk, d], Lk second to last
            long flops = 4L * q.getShape().size() * k.getShape().get(k.getShape().dimension() - 2);
            OpProfiler.stop(OpProfiler.OpClass.ATTENTION_FUSED, t0, flops, out);
        }
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
        long t0 = OpProfiler.start();
        NDArray scores = qs.matMul(kt);
        long flops = 2L * scores.getShape().size() * q.getShape().get(2);
        OpProfiler.stop(OpProfiler.OpClass.MATMUL, t0, flops, scores);
        long t1 = OpProfiler.start();
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
        OpProfiler.stop(OpProfiler.OpClass.ATTENTION_SOFTMAX, t1, 0, probs);
        long t2 = OpProfiler.start();
        NDArray out = probs.matMul(v);
        OpProfiler.stop(OpProfiler.OpClass.MATMUL, t2, 2L * probs.getShape().size() * v.getShape().get(2), out);
        probs.close();
        return out;
    }
}

// Port of diffusers.models.attention_processor.Attention with AttnProcessor / SlicedAttnProcessor semantics.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.models.nn.ScaledDotProductAttention;
import io.diffusers4j.weights.WeightScope;

/**
 * Multi-head (cross-)attention: {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0}, optional
 * {@code group_norm}; inputs {@code [B, L, C]} or {@code [B, C, H, W]} (the VAE's mid-block attention, which also
 * adds the residual and divides by {@code rescale_output_factor}). The score/softmax part is
 * {@link ScaledDotProductAttention#compute} with the model-wide {@link AttentionOptions}, so slicing and query chunking
 * apply to every attention module.
 *
 * <p>Checkpoints from before diffusers 0.14 name the VAE attention weights {@code query}, {@code key}, {@code value},
 * {@code proj_attn}; with {@code fromDeprecatedAttnBlock} those names are read when present, like diffusers'
 * {@code _convert_deprecated_attention_blocks}.
 */
public final class Attention {
    /** Old → new weight names of diffusers' deprecated attention blocks. */
    public static final String[][] DEPRECATED_NAMES = {
        {"query", "to_q"}, {"key", "to_k"}, {"value", "to_v"}, {"proj_attn", "to_out.0"}};

    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final GroupNorm groupNorm;
    private final int heads;
    private final int dimHead;
    private final float scale;
    private final boolean upcastAttention;
    private final boolean upcastSoftmax;
    private final boolean residualConnection;
    private final float rescaleOutputFactor;
    private final AttentionOptions options;

    /** Settings of one attention module (diffusers' {@code Attention.__init__} arguments we support). */
    public static final class Spec {
        int queryDim;
        Integer crossAttentionDim;
        int heads = 8;
        int dimHead = 64;
        boolean bias;
        boolean upcastAttention;
        boolean upcastSoftmax;
        Integer normNumGroups;
        double eps = 1e-5;
        boolean outBias = true;
        boolean residualConnection;
        double rescaleOutputFactor = 1.0;
        boolean fromDeprecatedAttnBlock;

        public Spec(int queryDim) {
            this.queryDim = queryDim;
        }

        public Spec crossAttentionDim(Integer dim) {
            this.crossAttentionDim = dim;
            return this;
        }

        public Spec heads(int heads) {
            this.heads = heads;
            return this;
        }

        public Spec dimHead(int dimHead) {
            this.dimHead = dimHead;
            return this;
        }

        public Spec bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        public Spec upcastAttention(boolean on) {
            this.upcastAttention = on;
            return this;
        }

        public Spec upcastSoftmax(boolean on) {
            this.upcastSoftmax = on;
            return this;
        }

        public Spec groupNorm(Integer groups, double eps) {
            this.normNumGroups = groups;
            this.eps = eps;
            return this;
        }

        public Spec residualConnection(boolean on) {
            this.residualConnection = on;
            return this;
        }

        public Spec rescaleOutputFactor(double factor) {
            this.rescaleOutputFactor = factor;
            return this;
        }

        public Spec fromDeprecatedAttnBlock(boolean on) {
            this.fromDeprecatedAttnBlock = on;
            return this;
        }
    }

    public Attention(WeightScope scope, Spec spec, AttentionOptions options) {
        if (spec.heads < 1 || spec.dimHead < 1) {
            throw new IllegalArgumentException("Attention: heads " + spec.heads + " and dim_head " + spec.dimHead
                    + " must be >= 1");
        }
        int inner = spec.heads * spec.dimHead;
        int kvDim = spec.crossAttentionDim == null ? spec.queryDim : spec.crossAttentionDim;
        this.heads = spec.heads;
        this.dimHead = spec.dimHead;
        this.scale = (float) Math.pow(spec.dimHead, -0.5);
        this.upcastAttention = spec.upcastAttention;
        this.upcastSoftmax = spec.upcastSoftmax;
        this.residualConnection = spec.residualConnection;
        this.rescaleOutputFactor = (float) spec.rescaleOutputFactor;
        this.options = options;
        this.groupNorm = spec.normNumGroups == null ? null
                : GroupNorm.load(scope.pp("group_norm"), spec.normNumGroups, spec.queryDim, spec.eps);
        boolean old = spec.fromDeprecatedAttnBlock && scope.contains("query.weight");
        this.toQ = Linear.load(scope.pp(old ? "query" : "to_q"), spec.queryDim, inner, spec.bias);
        this.toK = Linear.load(scope.pp(old ? "key" : "to_k"), kvDim, inner, spec.bias);
        this.toV = Linear.load(scope.pp(old ? "value" : "to_v"), kvDim, inner, spec.bias);
        this.toOut = Linear.load(scope.pp(old ? "proj_attn" : "to_out.0"), inner, spec.queryDim, spec.outBias);
    }

    /** The number of heads (diffusers' {@code sliceable_head_dim}). */
    public int heads() {
        return heads;
    }

    /**
     * {@code hidden}: {@code [B, L, C]} or {@code [B, C, H, W]}; {@code encoderHiddenStates}: null for self-attention;
     * {@code mask}: additive bias {@code [B, 1, Lk]} (or already {@code [B*heads, ., Lk]}) or null. The result has
     * the shape of {@code hidden} and is in its manager; temporaries are closed.
     */
    public NDArray forward(NDArray hidden, NDArray encoderHiddenStates, NDArray mask) {
        Shape shape = hidden.getShape();
        boolean spatial = shape.dimension() == 4;
        long b = shape.get(0);
        NDArray tokens;      // [B, L, C]
        if (spatial) {
            long c = shape.get(1);
            long l = shape.get(2) * shape.get(3);
            try (NDArray flat = hidden.reshape(b, c, l)) {
                // group norm over [B, C, L] is the norm of the image itself; the tokens are its transpose (a view,
                // which keeps the storage alive after the handles below are closed)
                if (groupNorm == null) {
                    tokens = flat.transpose(0, 2, 1);
                } else {
                    try (NDArray normed = groupNorm.forward(flat)) {
                        tokens = normed.transpose(0, 2, 1);
                    }
                }
            }
        } else if (groupNorm != null) {
            try (NDArray t = hidden.transpose(0, 2, 1); NDArray n = groupNorm.forward(t)) {
                tokens = n.transpose(0, 2, 1);
            }
        } else {
            tokens = hidden;
        }
        NDArray context = encoderHiddenStates == null ? tokens : encoderHiddenStates;
        NDArray q = headToBatch(toQ.forward(tokens));
        NDArray k = headToBatch(toK.forward(context));
        NDArray v = headToBatch(toV.forward(context));
        if (tokens != hidden) {
            tokens.close();
        }
        NDArray m = prepareMask(mask, k.getShape().get(1), b);
        NDArray attn = ScaledDotProductAttention.compute(q, k, v, m, scale, upcastAttention, upcastSoftmax, options,
                heads);
        q.close();
        k.close();
        v.close();
        if (m != null && m != mask) {
            m.close();
        }
        NDArray merged = batchToHead(attn);
        NDArray out = toOut.forward(merged);
        merged.close();
        if (spatial) {
            try (NDArray t = out.transpose(0, 2, 1)) {
                NDArray result;
                if (residualConnection) {
                    // residual + attention, written with the residual first so the sum comes out in NCHW order
                    try (NDArray res = hidden.reshape(b, shape.get(1), shape.get(2) * shape.get(3));
                         NDArray sum = res.add(t)) {
                        result = sum.reshape(shape);
                    }
                } else {
                    result = t.reshape(shape);
                }
                out.close();
                if (rescaleOutputFactor != 1f) {
                    result.divi(rescaleOutputFactor);
                }
                return result;
            }
        }
        if (residualConnection) {
            out.addi(hidden);
        }
        if (rescaleOutputFactor != 1f) {
            out.divi(rescaleOutputFactor);
        }
        return out;
    }

    /** {@code [B, L, heads*d]} → {@code [B*heads, L, d]} (diffusers' head_to_batch_dim); closes its input. */
    private NDArray headToBatch(NDArray x) {
        long b = x.getShape().get(0);
        long l = x.getShape().get(1);
        try (NDArray split = x.reshape(b, l, heads, dimHead); NDArray perm = split.transpose(0, 2, 1, 3)) {
            NDArray out = perm.reshape(b * heads, l, dimHead);
            x.close();
            return out;
        }
    }

    /** {@code [B*heads, L, d]} → {@code [B, L, heads*d]} (diffusers' batch_to_head_dim); closes its input. */
    private NDArray batchToHead(NDArray x) {
        long bh = x.getShape().get(0);
        long l = x.getShape().get(1);
        try (NDArray split = x.reshape(bh / heads, heads, l, dimHead); NDArray perm = split.transpose(0, 2, 1, 3)) {
            NDArray out = perm.reshape(bh / heads, l, (long) heads * dimHead);
            x.close();
            return out;
        }
    }

    /** diffusers' prepare_attention_mask: repeat a {@code [B, 1, Lk]} bias per head ({@code repeat_interleave}). */
    private NDArray prepareMask(NDArray mask, long keyLength, long batch) {
        if (mask == null) {
            return null;
        }
        long current = mask.getShape().get(mask.getShape().dimension() - 1);
        if (current != keyLength) {
            throw new IllegalArgumentException("attention mask covers " + current + " keys but the attention has "
                    + keyLength + " (mask shape " + mask.getShape() + ")");
        }
        if (mask.getShape().get(0) < batch * heads) {
            return mask.repeat(0, heads);
        }
        return mask;
    }
}

// Port of diffusers' Attention (added KV, context_pre_only, qk norms) with the Joint / Flux / FluxSingle processors.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.models.nn.ScaledDotProductAttention;
import io.diffusers4j.weights.WeightScope;

/**
 * The attention of the MMDiT blocks: one softmax over image and text tokens together. Weights (diffusers' names):
 * {@code to_q}, {@code to_k}, {@code to_v} (image tokens), {@code add_q_proj}, {@code add_k_proj}, {@code add_v_proj}
 * (text tokens, with {@code added_kv_proj_dim}), {@code to_out.0} (unless {@code pre_only}), {@code to_add_out}
 * (when {@code context_pre_only} is false), and with {@code qk_norm="rms_norm"} the {@link RMSNorm}s
 * {@code norm_q}, {@code norm_k}, {@code norm_added_q}, {@code norm_added_k} over each head.
 *
 * <p>The three processors differ in what they do with these (exactly as in diffusers 0.30.3):
 * <ul>
 *   <li>{@link Processor#JOINT} (SD3): image tokens FIRST, then text; no q/k norms are applied; with
 *       {@code context_pre_only} the text part of the output is dropped (and not computed here: the image rows of a
 *       softmax do not depend on the text queries);</li>
 *   <li>{@link Processor#FLUX}: q/k norms per part, text tokens FIRST, then image, the rotary embedding applied to
 *       the joint queries and keys;</li>
 *   <li>{@link Processor#FLUX_SINGLE}: self-attention over the (already joint) tokens with q/k norms and the rotary
 *       embedding, no output projection ({@code pre_only}).</li>
 * </ul>
 * Heads are laid out {@code [B, L, heads, head_dim]} for the norms and the rotary embedding and handed to
 * {@link ScaledDotProductAttention#computeHeads} as {@code [B, heads, L, head_dim]} views (libtorch's fused kernel when
 * {@link AttentionOptions} allow it, as diffusers' {@code F.scaled_dot_product_attention}).
 */
public final class JointAttention {
    /** Which diffusers attention processor this module runs. */
    public enum Processor { JOINT, FLUX, FLUX_SINGLE }

    /** What {@link #forward} returns: the image-token output and the text-token output (null when not produced). */
    public record Output(NDArray hiddenStates, NDArray encoderHiddenStates) {
    }

    private final Processor processor;
    private final int heads;
    private final int dimHead;
    private final float scale;
    private final boolean contextPreOnly;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear addQProj;
    private final Linear addKProj;
    private final Linear addVProj;
    private final Linear toOut;
    private final Linear toAddOut;
    private final RMSNorm normQ;
    private final RMSNorm normK;
    private final RMSNorm normAddedQ;
    private final RMSNorm normAddedK;
    private final AttentionOptions options;

    /**
     * {@code Attention(query_dim=dim, cross_attention_dim=None, added_kv_proj_dim=dim (not for FLUX_SINGLE),
     * dim_head, heads, out_dim=dim, context_pre_only, bias=True, qk_norm, eps, pre_only)} as the SD3 / FLUX blocks
     * build it. {@code contextPreOnly} null = diffusers' None (no {@code add_q_proj}); {@code qkNorm} null or
     * "rms_norm".
     */
    public JointAttention(WeightScope scope, Processor processor, int dim, int heads, int dimHead,
                          Boolean contextPreOnly, String qkNorm, double eps, AttentionOptions options) {
        if (heads < 1 || dimHead < 1 || dim % dimHead != 0) {
            throw new IllegalArgumentException("JointAttention: dim " + dim + " must be a positive multiple of "
                    + "dim_head " + dimHead + " (heads " + heads + ")");
        }
        if (qkNorm != null && !qkNorm.equals("rms_norm")) {
            throw new IllegalArgumentException("JointAttention: qk_norm '" + qkNorm + "' is not supported (supported: "
                    + "None, 'rms_norm')");
        }
        this.processor = processor;
        this.heads = dim / dimHead;    // diffusers: heads = out_dim // dim_head when out_dim is given
        this.dimHead = dimHead;
        this.scale = (float) (1.0 / Math.sqrt(dimHead));
        this.contextPreOnly = Boolean.TRUE.equals(contextPreOnly);
        this.options = options;
        boolean added = processor != Processor.FLUX_SINGLE;
        boolean rms = qkNorm != null;
        this.normQ = rms ? RMSNorm.load(scope.pp("norm_q"), dimHead, eps, true) : null;
        this.normK = rms ? RMSNorm.load(scope.pp("norm_k"), dimHead, eps, true) : null;
        this.toQ = Linear.load(scope.pp("to_q"), dim, dim, true);
        this.toK = Linear.load(scope.pp("to_k"), dim, dim, true);
        this.toV = Linear.load(scope.pp("to_v"), dim, dim, true);
        this.addKProj = added ? Linear.load(scope.pp("add_k_proj"), dim, dim, true) : null;
        this.addVProj = added ? Linear.load(scope.pp("add_v_proj"), dim, dim, true) : null;
        this.addQProj = added && contextPreOnly != null ? Linear.load(scope.pp("add_q_proj"), dim, dim, true) : null;
        this.toOut = processor != Processor.FLUX_SINGLE ? Linear.load(scope.pp("to_out.0"), dim, dim, true) : null;
        this.toAddOut = added && Boolean.FALSE.equals(contextPreOnly)
                ? Linear.load(scope.pp("to_add_out"), dim, dim, true) : null;
        this.normAddedQ = rms && added ? RMSNorm.load(scope.pp("norm_added_q"), dimHead, eps, true) : null;
        this.normAddedK = rms && added ? RMSNorm.load(scope.pp("norm_added_k"), dimHead, eps, true) : null;
        if (added && addQProj == null) {
            throw new IllegalArgumentException("JointAttention: the joint processors need add_q_proj "
                    + "(context_pre_only True or False, not None)");
        }
    }

    /**
     * {@code hidden [B, N, dim]} (image tokens; for FLUX_SINGLE all tokens), {@code encoder [B, T, dim]} (text tokens;
     * null for FLUX_SINGLE), {@code rope} for the FLUX processors (null: none). Results are in {@code hidden}'s
     * manager; temporaries are closed.
     */
    public Output forward(NDArray hidden, NDArray encoder, RotaryEmbedding rope) {
        long n = hidden.getShape().get(1);
        if (processor == Processor.FLUX_SINGLE) {
            NDArray q = heads(toQ.forward(hidden), normQ);
            NDArray k = heads(toK.forward(hidden), normK);
            NDArray v = heads(toV.forward(hidden), null);
            return new Output(attend(q, k, v, rope), null);
        }
        long t = encoder.getShape().get(1);
        boolean textFirst = processor == Processor.FLUX;
        boolean textQueries = !contextPreOnly;
        NDArray q = heads(toQ.forward(hidden), normQ);
        NDArray k = heads(toK.forward(hidden), normK);
        NDArray v = heads(toV.forward(hidden), null);
        NDArray ck = heads(addKProj.forward(encoder), normAddedK);
        NDArray cv = heads(addVProj.forward(encoder), null);
        NDArray cq = textQueries ? heads(addQProj.forward(encoder), normAddedQ) : null;
        NDArray query = textQueries ? join(q, cq, textFirst) : q;
        NDArray key = join(k, ck, textFirst);
        NDArray value = join(v, cv, textFirst);
        NDArray out = attend(query, key, value, rope);
        if (!textQueries) {
            NDArray image = toOut.forward(out);
            out.close();
            return new Output(image, null);
        }
        long imageStart = textFirst ? t : 0;
        long textStart = textFirst ? 0 : n;
        NDArray image;
        NDArray text;
        try (NDArray imageRows = out.get(new NDIndex(":, {}:{}", imageStart, imageStart + n));
             NDArray textRows = out.get(new NDIndex(":, {}:{}", textStart, textStart + t))) {
            image = toOut.forward(imageRows);
            text = toAddOut != null ? toAddOut.forward(textRows) : null;
        }
        out.close();
        return new Output(image, text);
    }

    /** {@code [B, L, heads*dim_head]} to {@code [B, L, heads, dim_head]}, normed per head when {@code norm} is set. */
    private NDArray heads(NDArray projected, RMSNorm norm) {
        long b = projected.getShape().get(0);
        long l = projected.getShape().get(1);
        NDArray split = projected.reshape(b, l, heads, dimHead);
        projected.close();
        return norm == null ? split : ForwardScope.replace(split, norm.forward(split));
    }

    /** The two token parts concatenated along the sequence ({@code text first} for FLUX); closes both. */
    private static NDArray join(NDArray image, NDArray text, boolean textFirst) {
        NDArray joint = textFirst ? NDArrays.concat(new NDList(text, image), 1)
                : NDArrays.concat(new NDList(image, text), 1);
        image.close();
        text.close();
        return joint;
    }

    /**
     * Rotary embedding (queries and keys covering all positions), then attention over {@code [B, heads, L, d]}
     * views; returns {@code [B, Lq, heads*dim_head]}. Closes its inputs.
     */
    private NDArray attend(NDArray q, NDArray k, NDArray v, RotaryEmbedding rope) {
        if (rope != null) {
            q = ForwardScope.replace(q, rope.apply(q));
            k = ForwardScope.replace(k, rope.apply(k));
        }
        long b = q.getShape().get(0);
        long lq = q.getShape().get(1);
        NDArray attn;
        try (NDArray q4 = q.transpose(0, 2, 1, 3); NDArray k4 = k.transpose(0, 2, 1, 3);
             NDArray v4 = v.transpose(0, 2, 1, 3)) {
            attn = ScaledDotProductAttention.computeHeads(q4, k4, v4, scale, options);
        }
        q.close();
        k.close();
        v.close();
        try (NDArray tokens = attn.transpose(0, 2, 1, 3)) {
            NDArray out = tokens.reshape(b, lq, (long) heads * dimHead);
            attn.close();
            return out;
        }
    }
}

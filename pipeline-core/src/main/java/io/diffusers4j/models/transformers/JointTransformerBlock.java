// Port of diffusers.models.attention.JointTransformerBlock (the MMDiT block of SD3, diffusers 0.30.3).
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.blocks.AdaLayerNormContinuous;
import io.diffusers4j.models.blocks.AdaLayerNormZero;
import io.diffusers4j.models.blocks.FeedForward;
import io.diffusers4j.models.blocks.FeedForwardConfig;
import io.diffusers4j.models.blocks.JointAttention;
import io.diffusers4j.models.blocks.Modulation;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.weights.WeightScope;

import java.util.function.Supplier;

/**
 * Image and text tokens, each with its own adaLN-Zero modulation ({@code norm1}, {@code norm1_context}), attend
 * jointly ({@code attn}, {@link JointAttention.Processor#JOINT}); each stream then adds its gated attention output
 * and a gated tanh-GELU feed-forward ({@code ff}, {@code ff_context}) of its modulated second norm. The
 * {@code context_pre_only} block (SD3's last) modulates the text with an {@link AdaLayerNormContinuous}, has no
 * {@code to_add_out}, {@code norm2_context} or {@code ff_context}, and returns no text tokens.
 */
public final class JointTransformerBlock {
    private final boolean contextPreOnly;
    private final AdaLayerNormZero norm1;
    private final AdaLayerNormZero norm1Context;
    private final AdaLayerNormContinuous norm1ContextContinuous;
    private final JointAttention attn;
    private final LayerNorm norm2;
    private final FeedForward ff;
    private final LayerNorm norm2Context;
    private final FeedForward ffContext;
    private final Supplier<FeedForwardChunking> chunking;

    /**
     * {@code JointTransformerBlock(dim, num_attention_heads, attention_head_dim, context_pre_only)} in {@code scope};
     * {@code chunking} gives the model's feed-forward chunking (null entries: none) at each call.
     */
    public JointTransformerBlock(WeightScope scope, int dim, int numAttentionHeads, int attentionHeadDim,
                                 boolean contextPreOnly, AttentionOptions options,
                                 Supplier<FeedForwardChunking> chunking) {
        this.contextPreOnly = contextPreOnly;
        this.chunking = chunking;
        this.norm1 = new AdaLayerNormZero(scope.pp("norm1"), dim);
        if (contextPreOnly) {
            this.norm1Context = null;
            this.norm1ContextContinuous = new AdaLayerNormContinuous(scope.pp("norm1_context"), dim, dim, false,
                    1e-6, true);
        } else {
            this.norm1Context = new AdaLayerNormZero(scope.pp("norm1_context"), dim);
            this.norm1ContextContinuous = null;
        }
        this.attn = new JointAttention(scope.pp("attn"), JointAttention.Processor.JOINT, dim, numAttentionHeads,
                attentionHeadDim, contextPreOnly, null, 1e-5, options);
        FeedForwardConfig ffConfig = FeedForwardConfig.of(dim).withDimOut(dim).withActivationFn("gelu-approximate");
        this.norm2 = LayerNorm.withoutAffine(scope.manager(), dim, scope.dtype(), 1e-6);
        this.ff = new FeedForward(scope.pp("ff"), ffConfig);
        this.norm2Context = contextPreOnly ? null : LayerNorm.withoutAffine(scope.manager(), dim, scope.dtype(), 1e-6);
        this.ffContext = contextPreOnly ? null : new FeedForward(scope.pp("ff_context"), ffConfig);
    }

    public boolean contextPreOnly() {
        return contextPreOnly;
    }

    /**
     * {@code hidden [B, N, dim]}, {@code encoder [B, T, dim]}, {@code temb [B, dim]}; the outputs are attached to
     * {@code hidden}'s manager and every temporary of the block is freed.
     */
    public JointBlockOutput forward(NDArray hidden, NDArray encoder, NDArray temb) {
        NDList out = ForwardScope.runAll(hidden.getManager(), sub -> compute(hidden, encoder, temb), hidden,
                encoder, temb);
        return new JointBlockOutput(out.get(0), out.get(1));
    }

    private NDList compute(NDArray hidden, NDArray encoder, NDArray temb) {
        FeedForwardChunking chunks = chunking.get();
        AdaLayerNormZero.Output n1 = norm1.forward(hidden, temb);
        AdaLayerNormZero.Output c1 = contextPreOnly ? null : norm1Context.forward(encoder, temb);
        NDArray normEncoder = contextPreOnly ? norm1ContextContinuous.forward(encoder, temb) : c1.normed();
        JointAttention.Output a = attn.forward(n1.normed(), normEncoder, null);
        n1.normed().close();
        normEncoder.close();

        NDArray h = hidden.add(a.hiddenStates().muli(n1.gateMsa()));
        a.hiddenStates().close();
        NDArray ffOut;
        try (NDArray normed = Modulation.scaleShift(norm2.forward(h), n1.scaleMlp(), n1.shiftMlp())) {
            ffOut = FeedForwardChunking.apply(ff, normed, chunks);
        }
        h.addi(ffOut.muli(n1.gateMlp()));
        ffOut.close();
        if (contextPreOnly) {
            return new NDList(null, h);
        }
        NDArray e = encoder.add(a.encoderHiddenStates().muli(c1.gateMsa()));
        a.encoderHiddenStates().close();
        NDArray contextFf;
        try (NDArray normed = Modulation.scaleShift(norm2Context.forward(e), c1.scaleMlp(), c1.shiftMlp())) {
            contextFf = FeedForwardChunking.apply(ffContext, normed, chunks);
        }
        e.addi(contextFf.muli(c1.gateMlp()));
        contextFf.close();
        return new NDList(e, h);
    }
}

// Port of transformers.models.t5.modeling_t5.T5Block, T5LayerSelfAttention and T5LayerFF (encoder blocks).
package io.diffusers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.weights.WeightScope;

/**
 * One pre-norm encoder block: {@code layer.0} = {@code x + SelfAttention(layer_norm(x))}, {@code layer.1} =
 * {@code x + DenseReluDense(layer_norm(x))}. After each residual sum a float16 hidden state is clamped to
 * {@code +-(65504 - 1000)} when it holds an infinity, else to {@code +-65504}, as transformers does "to enable fp16
 * training". A residual sum of a float16 and a float32 term is float32 (torch's type promotion): in a float16 model
 * the float32 {@code wo} output turns the residual stream float32 after the first feed-forward.
 */
final class T5Block {
    /** {@code torch.finfo(torch.float16).max}. */
    static final float FLOAT16_MAX = 65504f;

    private final T5LayerNorm attentionNorm;
    private final T5Attention selfAttention;
    private final T5LayerNorm feedForwardNorm;
    private final T5DenseReluDense denseReluDense;

    /** Builds under {@code scope} = {@code encoder.block.<i>}; block 0 has the relative attention bias. */
    T5Block(WeightScope scope, T5Config config, boolean hasRelativeAttentionBias) {
        WeightScope selfAttentionLayer = scope.pp("layer").pp(0);
        this.selfAttention = new T5Attention(selfAttentionLayer.pp("SelfAttention"), config, hasRelativeAttentionBias);
        this.attentionNorm = new T5LayerNorm(selfAttentionLayer.pp("layer_norm"), config.dModel,
                config.layerNormEpsilon);
        WeightScope feedForwardLayer = scope.pp("layer").pp(1);
        this.denseReluDense = new T5DenseReluDense(feedForwardLayer.pp("DenseReluDense"), config);
        this.feedForwardNorm = new T5LayerNorm(feedForwardLayer.pp("layer_norm"), config.dModel,
                config.layerNormEpsilon);
    }

    T5Attention selfAttention() {
        return selfAttention;
    }

    /** {@code x} {@code [B, L, d_model]}; every array created belongs to the manager of {@code x}. */
    NDArray forward(NDArray x, NDArray positionBias) {
        NDArray attention = selfAttention.forward(attentionNorm.forward(x), positionBias);
        NDArray hidden = clampFloat16(residual(x, attention));
        NDArray feedForward = denseReluDense.forward(feedForwardNorm.forward(hidden));
        return clampFloat16(residual(hidden, feedForward));
    }

    /** {@code a + b} with torch's promotion of float16 + float32 to float32 (the float16 term widened exactly). */
    static NDArray residual(NDArray a, NDArray b) {
        DataType ta = a.getDataType();
        DataType tb = b.getDataType();
        if (ta == tb) {
            return a.add(b);
        }
        if (ta == DataType.FLOAT16 && tb == DataType.FLOAT32) {
            try (NDArray wide = a.toType(DataType.FLOAT32, false)) {
                return wide.add(b);
            }
        }
        if (ta == DataType.FLOAT32 && tb == DataType.FLOAT16) {
            try (NDArray wide = b.toType(DataType.FLOAT32, false)) {
                return a.add(wide);
            }
        }
        throw new IllegalStateException("T5 residual of " + ta + " and " + tb);
    }

    /** transformers' "clamp inf values to enable fp16 training", applied only to a float16 hidden state. */
    static NDArray clampFloat16(NDArray hidden) {
        if (hidden.getDataType() != DataType.FLOAT16) {
            return hidden;
        }
        boolean hasInf;
        try (NDArray inf = hidden.isInfinite(); NDArray any = inf.any()) {
            hasInf = any.getBoolean();
        }
        float clampValue = hasInf ? FLOAT16_MAX - 1000f : FLOAT16_MAX;
        return hidden.clip(-clampValue, clampValue);
    }
}

// Port of transformers.models.t5.modeling_t5.T5Stack as the encoder (is_decoder=False, no cache, no head mask).
package io.diffusers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code encoder}: token embeddings (the model's {@code shared} matrix), {@code num_layers} {@link T5Block}s
 * sharing one position bias (block 0's relative attention bias plus the padding mask, computed once), then
 * {@code final_layer_norm}. Dropout is the identity (inference).
 */
final class T5Stack {
    private final T5Config config;
    private final List<T5Block> blocks = new ArrayList<>();
    private final T5LayerNorm finalLayerNorm;

    /** Builds under {@code scope} = {@code encoder}. */
    T5Stack(WeightScope scope, T5Config config) {
        this.config = config;
        WeightScope blockScope = scope.pp("block");
        for (int i = 0; i < config.numLayers; i++) {
            blocks.add(new T5Block(blockScope.pp(i), config, i == 0));
        }
        this.finalLayerNorm = new T5LayerNorm(scope.pp("final_layer_norm"), config.dModel, config.layerNormEpsilon);
    }

    /**
     * The last hidden state {@code [B, L, d_model]} of {@code ids} ({@code [B, L]} in [0, vocab), checked by the
     * caller), in {@code sub} (the caller's forward manager, on the weights' device).
     *
     * @param paddingMask  {@code [B * L]} values of the attention mask (1 keep, 0 padding), or null
     * @param blockOutputs receives each block's output (in {@code sub}) when not null
     */
    NDArray forward(NDManager sub, NDArray embeddingMatrix, long[] ids, int batch, int length, float[] paddingMask,
                    List<NDArray> blockOutputs) {
        DataType dtype = embeddingMatrix.getDataType();
        NDArray idArray = sub.create(ids, new Shape(batch, length));
        NDArray hidden = Embedding.embedding(idArray, embeddingMatrix, SparseFormat.DENSE).singletonOrThrow();
        hidden.attach(sub);
        NDArray positionBias = positionBias(sub, dtype, batch, length, paddingMask);
        for (T5Block block : blocks) {
            NDArray input = hidden;
            hidden = ForwardScope.run(sub, inner -> block.forward(input, positionBias), input, positionBias);
            if (blockOutputs != null) {
                blockOutputs.add(hidden);
            } else {
                input.close();
            }
        }
        return finalLayerNorm.forward(hidden);
    }

    /**
     * Block 0's {@code compute_bias(L, L)} plus, with a padding mask, {@code get_extended_attention_mask}:
     * {@code (1 - mask) * finfo(dtype).min} broadcast over heads and queries. Without a mask transformers adds
     * {@code (1 - ones) * min = -0.0}, which changes nothing, so nothing is added. Zeros when there are no blocks
     * with a bias (num_layers 0).
     */
    private NDArray positionBias(NDManager sub, DataType dtype, int batch, int length, float[] paddingMask) {
        NDArray bias = blocks.isEmpty() ? sub.zeros(new Shape(1, config.numHeads, length, length), dtype)
                : blocks.get(0).selfAttention().computeBias(sub, length);
        if (paddingMask == null) {
            return bias;
        }
        float min = lowest(dtype);
        float[] extended = new float[paddingMask.length];
        for (int i = 0; i < extended.length; i++) {
            extended[i] = (1f - paddingMask[i]) * min;
        }
        NDArray mask = sub.create(extended, new Shape(batch, 1, 1, length));
        if (dtype != DataType.FLOAT32) {
            mask = mask.toType(dtype, false);
        }
        return bias.add(mask);
    }

    /** {@code torch.finfo(dtype).min} for the float dtypes the model runs in. */
    static float lowest(DataType dtype) {
        return switch (dtype) {
            case FLOAT16 -> -65504f;
            case FLOAT32 -> -Float.MAX_VALUE;
            default -> throw new IllegalArgumentException("T5 runs in float32 or float16, not " + dtype);
        };
    }
}

// The common surface of transformers' CLIPTextModel and CLIPTextModelWithProjection as diffusers pipelines use them.
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.LoraLayers;

import java.util.Map;

/**
 * A loaded CLIP text encoder: {@code forward} on token ids, the final layer norm for {@code clip_skip}, the state
 * dict for saving. Closing it frees the weights when the encoder owns them (it was loaded from a tensor source or
 * random-initialised); an encoder built on a caller's {@link io.diffusers4j.weights.WeightScope} leaves them to the
 * caller.
 */
public interface CLIPTextEncoder extends AutoCloseable {
    /**
     * Encodes {@code inputIds} (int64 {@code [B, L]}). {@code attentionMaskOrNull} is {@code [B, L]} of 1/0 or null
     * (Stable Diffusion pipelines pass none). Outputs are in the load dtype and belong to the manager of
     * {@code inputIds}; every temporary is freed before returning.
     */
    CLIPTextOutput forward(NDArray inputIds, NDArray attentionMaskOrNull, boolean outputHiddenStates);

    /** {@code forward(inputIds, null, false)}. */
    default CLIPTextOutput forward(NDArray inputIds) {
        return forward(inputIds, null, false);
    }

    /** {@code text_model.final_layer_norm(x)}, applied by diffusers after picking a {@code clip_skip} layer. */
    NDArray finalLayerNorm(NDArray hiddenState);

    CLIPTextConfig config();

    /** Every weight by its checkpoint key, in transformers' state-dict order. */
    Map<String, NDArray> stateDict();

    /** The LoRA state of this model: its linear layers by module path (transformers' names) and the adapters. */
    LoraLayers loraLayers();

    /**
     * transformers' {@code resize_token_embeddings} followed by writing the new rows: appends {@code rows}
     * ({@code [n, hidden_size]}, any manager; converted to the model's dtype and device) to the token embedding
     * matrix and returns the id of the first new row (textual inversion).
     */
    long appendTokenEmbeddings(NDArray rows);

    /**
     * {@code resize_token_embeddings(rows)} to fewer rows: the rows appended by {@link #appendTokenEmbeddings}
     * beyond {@code rows} are dropped (the checkpoint's own rows are never dropped).
     */
    void truncateTokenEmbeddings(long rows);

    /** The number of rows of the token embedding matrix ({@code config.vocab_size} after any resize). */
    long tokenEmbeddingRows();

    /** Attention switches (slicing / chunking) of this model's attention layers. */
    AttentionOptions attentionOptions();

    @Override
    void close();
}

// transformers' BaseModelOutputWithPooling / CLIPTextModelOutput for the CLIP text encoders.
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * What a CLIP text encoder returns. Every array belongs to the manager of the input ids; {@link #close()} frees
 * them all.
 *
 * @param lastHiddenState {@code [B, L, hidden]}, after {@code final_layer_norm} (what SD pipelines condition on)
 * @param pooledOutput    {@code [B, hidden]}: {@code lastHiddenState} at each sequence's EOS position
 * @param textEmbeds      {@code [B, projection_dim]} = {@code text_projection(pooledOutput)}; null for a model
 *                        without projection
 * @param hiddenStates    when requested: {@code num_hidden_layers + 1} arrays {@code [B, L, hidden]}, the
 *                        embeddings output then each layer's output (the last one before {@code final_layer_norm});
 *                        otherwise null. diffusers' {@code clip_skip} uses {@code hiddenStates[-(clip_skip + 1)]}
 */
public record CLIPTextOutput(NDArray lastHiddenState, NDArray pooledOutput, NDArray textEmbeds,
                             List<NDArray> hiddenStates) implements AutoCloseable {

    /** {@code hiddenStates[size + index]} for negative {@code index} (Python indexing), else {@code [index]}. */
    public NDArray hiddenState(int index) {
        if (hiddenStates == null) {
            throw new IllegalStateException("hidden states were not requested (outputHiddenStates = false)");
        }
        int i = index < 0 ? hiddenStates.size() + index : index;
        if (i < 0 || i >= hiddenStates.size()) {
            throw new IllegalArgumentException("hidden state index " + index + " out of range for "
                    + hiddenStates.size() + " hidden states");
        }
        return hiddenStates.get(i);
    }

    @Override
    public void close() {
        lastHiddenState.close();
        pooledOutput.close();
        if (textEmbeds != null) {
            textEmbeds.close();
        }
        if (hiddenStates != null) {
            hiddenStates.forEach(NDArray::close);
        }
    }
}

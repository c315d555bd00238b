// The (encoder_hidden_states, hidden_states) pair the SD3 and FLUX double-stream blocks return (diffusers' order).
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;

/**
 * What {@link JointTransformerBlock} and {@link FluxTransformerBlock} return: the text tokens {@code [B, T, dim]}
 * (null after SD3's {@code context_pre_only} block, as diffusers returns None) and the image tokens
 * {@code [B, N, dim]}.
 */
public record JointBlockOutput(NDArray encoderHiddenStates, NDArray hiddenStates) {
}

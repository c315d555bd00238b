// The conditioning that diffusers' cross-attention blocks take as keyword arguments.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;

/**
 * {@code encoder_hidden_states} [B, L, D] and the attention masks, already turned into additive biases
 * {@code [B, 1, keys]} (0 keep, -10000 discard) as UNet2DConditionModel.forward does; any of them may be null.
 */
public record CrossAttentionInputs(NDArray encoderHiddenStates, NDArray attentionMask, NDArray encoderAttentionMask) {
    /** The arrays to temp-attach to a forward scope. */
    public NDArray[] arrays() {
        return new NDArray[] {encoderHiddenStates, attentionMask, encoderAttentionMask};
    }
}

// The __init__ keyword arguments of diffusers.models.attention.FeedForward that this port supports.
package io.diffusers4j.models.blocks;

import java.util.List;

/**
 * How a {@link FeedForward} is built, with diffusers' defaults: {@code FeedForwardConfig.of(320)} is a GEGLU
 * projection to {@code 4 * 320} and back.
 *
 * @param dimOut   null = {@code dim}
 * @param innerDim null = {@code dim * mult}
 */
public record FeedForwardConfig(int dim, Integer dimOut, int mult, String activationFn, Integer innerDim,
                                boolean bias) {
    public static final List<String> ACTIVATIONS = List.of("geglu", "gelu", "gelu-approximate", "geglu-approximate");
    private static final String BLOCK = "FeedForward";

    /** diffusers' defaults: mult 4, "geglu", biased projections. */
    public static FeedForwardConfig of(int dim) {
        return new FeedForwardConfig(dim, null, 4, "geglu", null, true);
    }

    public FeedForwardConfig withDimOut(Integer value) {
        return new FeedForwardConfig(dim, value, mult, activationFn, innerDim, bias);
    }

    public FeedForwardConfig withMult(int value) {
        return new FeedForwardConfig(dim, dimOut, value, activationFn, innerDim, bias);
    }

    public FeedForwardConfig withActivationFn(String value) {
        return new FeedForwardConfig(dim, dimOut, mult, value, innerDim, bias);
    }

    public FeedForwardConfig withInnerDim(Integer value) {
        return new FeedForwardConfig(dim, dimOut, mult, activationFn, value, bias);
    }

    public FeedForwardConfig withBias(boolean value) {
        return new FeedForwardConfig(dim, dimOut, mult, activationFn, innerDim, value);
    }

    public int resolvedInnerDim() {
        return innerDim == null ? dim * mult : innerDim;
    }

    public int resolvedDimOut() {
        return dimOut == null ? dim : dimOut;
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public FeedForwardConfig validate() {
        ConfigChecks.positive(BLOCK, "dim", dim);
        ConfigChecks.positive(BLOCK, "dim_out", dimOut);
        ConfigChecks.positive(BLOCK, "mult", mult);
        ConfigChecks.positive(BLOCK, "inner_dim", innerDim);
        ConfigChecks.named(BLOCK, "activation_fn", activationFn);
        if (!ACTIVATIONS.contains(activationFn)) {
            throw new IllegalArgumentException(BLOCK + ": unsupported activation_fn '" + activationFn
                    + "' (supported: " + String.join(", ", ACTIVATIONS) + ")");
        }
        return this;
    }
}

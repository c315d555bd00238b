// The unfused LoRA computation of one layer: peft's LoraLayer.forward loop over the active adapters.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What the active adapters add to one layer's output: for each adapter in activation order,
 * {@code result = result + up(down(x)) * scaling}, where scaling is the adapter weight times {@code alpha / rank}
 * (peft's {@code scaling}) times the call's scale ({@link LoraScale}, diffusers' {@code cross_attention_kwargs
 * ["scale"]}). Immutable: the layer's state ({@link LoraLayers}) swaps in a new branch when the adapter set changes.
 */
public final class LoraBranch {
    /** One adapter on one layer: its two projections and its scaling. */
    public record Path(String adapter, UnaryOperator<NDArray> down, UnaryOperator<NDArray> up, double scaling) {
    }

    private final List<Path> paths;

    public LoraBranch(List<Path> paths) {
        this.paths = List.copyOf(paths);
    }

    public List<Path> paths() {
        return paths;
    }

    /**
     * Adds the adapters' outputs on {@code x} to {@code baseOutput} (in place; its manager keeps it) and returns it;
     * the temporaries are closed.
     */
    public NDArray addTo(NDArray x, NDArray baseOutput) {
        double callScale = LoraScale.current();
        for (Path p : paths) {
            try (NDArray hidden = p.down().apply(x); NDArray update = p.up().apply(hidden)) {
                update.muli((float) (p.scaling() * callScale));
                baseOutput.addi(update);
            }
        }
        return baseOutput;
    }
}

// Port of diffusers.models.attention.FeedForward with the activations.GELU / GEGLU / ApproximateGELU projections.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code net.0} (a projection with its activation) then {@code net.2} (a linear layer back to the output dimension).
 * Activations: "geglu" ({@code h * gelu(gate)} of a doubled projection, the SD default), "gelu",
 * "gelu-approximate" (tanh, libtorch's kernel: {@link Activations#geluApproximate}), "geglu-approximate"
 * ({@code x * sigmoid(1.702 x)}).
 */
public final class FeedForward {
    private final Linear proj;
    private final Linear out;
    private final String activationFn;

    public FeedForward(WeightScope scope, FeedForwardConfig config) {
        config.validate();
        int inner = config.resolvedInnerDim();
        this.activationFn = config.activationFn();
        int projOut = activationFn.equals("geglu") ? 2 * inner : inner;
        this.proj = Linear.load(scope.pp("net.0.proj"), config.dim(), projOut, config.bias());
        this.out = Linear.load(scope.pp("net.2"), inner, config.resolvedDimOut(), config.bias());
    }

    /** The result is in {@code x}'s manager; temporaries are closed. */
    public NDArray forward(NDArray x) {
        NDArray projected = proj.forward(x);
        NDArray h;
        switch (activationFn) {
            case "geglu" -> {
                NDList halves = projected.split(2, projected.getShape().dimension() - 1);
                h = Activations.gelu(halves.get(1)).muli(halves.get(0));
                halves.close();
            }
            case "gelu" -> h = Activations.gelu(projected);
            case "gelu-approximate" -> h = Activations.geluApproximate(projected);
            default -> h = Activations.quickGelu(projected);
        }
        projected.close();
        NDArray output = out.forward(h);
        h.close();
        return output;
    }
}

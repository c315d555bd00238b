// Port of diffusers.models.embeddings.PixArtAlphaTextProjection (the pooled-text projection of SD3 / FLUX).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

import java.util.List;

/**
 * {@code linear_2(act_1(linear_1(caption)))}; {@code act_fn} "gelu_tanh" (diffusers' default), "silu" (SD3 and
 * FLUX) or "silu_fp32" (the SiLU computed in float32). Weights {@code linear_1 [hidden, in]}, {@code linear_2
 * [out, hidden]}, both with bias.
 */
public final class PixArtAlphaTextProjection {
    /** The {@code act_fn} values diffusers 0.30.3 accepts. */
    public static final List<String> ACTIVATIONS = List.of("gelu_tanh", "silu", "silu_fp32");

    private final Linear linear1;
    private final Linear linear2;
    private final String actFn;

    /** {@code PixArtAlphaTextProjection(in_features, hidden_size, out_features=None -> hidden_size, act_fn)}. */
    public PixArtAlphaTextProjection(WeightScope scope, int inFeatures, int hiddenSize, Integer outFeatures,
                                     String actFn) {
        if (!ACTIVATIONS.contains(actFn)) {
            throw new IllegalArgumentException("Unknown activation function: " + actFn + " (supported: "
                    + String.join(", ", ACTIVATIONS) + ")");
        }
        this.actFn = actFn;
        this.linear1 = Linear.load(scope.pp("linear_1"), inFeatures, hiddenSize, true);
        this.linear2 = Linear.load(scope.pp("linear_2"), hiddenSize, outFeatures == null ? hiddenSize : outFeatures,
                true);
    }

    /** {@code caption [..., in]}; the result is in its manager. */
    public NDArray forward(NDArray caption) {
        NDArray h = linear1.forward(caption);
        h = ForwardScope.replace(h, switch (actFn) {
            case "gelu_tanh" -> Activations.geluApproximate(h);
            case "silu" -> Activations.silu(h);
            default -> silu32(h);
        });
        return ForwardScope.replace(h, linear2.forward(h));
    }

    /** diffusers' FP32SiLU: {@code silu(x.float()).to(x.dtype)}. */
    private static NDArray silu32(NDArray x) {
        if (x.getDataType() == DataType.FLOAT32) {
            return Activations.silu(x);
        }
        try (NDArray x32 = x.toType(DataType.FLOAT32, false);
             NDArray s = Activations.silu(x32)) {
            return s.toType(x.getDataType(), false);
        }
    }
}

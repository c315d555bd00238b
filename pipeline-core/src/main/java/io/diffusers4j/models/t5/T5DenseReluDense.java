// Port of transformers.models.t5.modeling_t5.T5DenseActDense and T5DenseGatedActDense (the DenseReluDense module).
package io.diffusers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * The feed-forward of a T5 block, bias-free: {@code wo(act(wi(x)))} ({@code T5DenseActDense}, T5 v1.0's relu), or
 * the gated {@code wo(act(wi_0(x)) * wi_1(x))} ({@code T5DenseGatedActDense}, T5 v1.1's gelu_new). The
 * activation is the config's {@code dense_act_fn}. In a float16 model {@code wo} stays float32, as transformers'
 * {@code from_pretrained(torch_dtype=float16)} keeps it ({@code _keep_in_fp32_modules = ["wo"]}): its input is cast
 * to float32 and so is its output.
 */
final class T5DenseReluDense {
    private final boolean gated;
    /** {@code wi} (not gated) or {@code wi_0}. */
    private final Linear wi;
    /** {@code wi_1}, or null when not gated. */
    private final Linear wiGate;
    private final Linear wo;
    private final String act;

    /** Builds under {@code scope} = {@code encoder.block.<i>.layer.1.DenseReluDense}, in transformers' order. */
    T5DenseReluDense(WeightScope scope, T5Config config) {
        this.gated = config.isGatedAct();
        if (gated) {
            this.wi = Linear.load(scope.pp("wi_0"), config.dModel, config.dFf, false);
            this.wiGate = Linear.load(scope.pp("wi_1"), config.dModel, config.dFf, false);
        } else {
            this.wi = Linear.load(scope.pp("wi"), config.dModel, config.dFf, false);
            this.wiGate = null;
        }
        WeightScope woScope = scope.pp("wo");
        DataType woType = scope.dtype() == DataType.FLOAT16 ? DataType.FLOAT32 : scope.dtype();
        Linear out = new Linear(woScope.get("weight", woType, config.dModel, config.dFf), null);
        woScope.registerModule(out);
        this.wo = out;
        this.act = config.denseActFn();
    }

    /** The result belongs to the manager of {@code x}; it is float32 when {@code wo} is. */
    NDArray forward(NDArray x) {
        NDArray hidden = Activations.apply(act, wi.forward(x));
        if (wiGate != null) {
            try (NDArray linear = wiGate.forward(x)) {
                hidden = hidden.muli(linear);
            }
        }
        DataType woType = wo.weight().getDataType();
        if (hidden.getDataType() != woType) {
            NDArray cast = hidden.toType(woType, false);
            hidden.close();
            hidden = cast;
        }
        NDArray out = wo.forward(hidden);
        hidden.close();
        return out;
    }
}

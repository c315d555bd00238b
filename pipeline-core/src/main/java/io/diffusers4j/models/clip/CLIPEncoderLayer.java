// Port of transformers.models.clip.modeling_clip.CLIPEncoderLayer and CLIPMLP (transformers 4.45).
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * One pre-LN transformer block: {@code x + self_attn(layer_norm1(x))}, then {@code x + mlp(layer_norm2(x))} with
 * {@code mlp = fc2(act(fc1(.)))}. Residual sums are new arrays (never in place), so a hidden state handed out
 * by the encoder is not changed by later layers.
 */
final class CLIPEncoderLayer {
    private final CLIPAttention selfAttn;
    private final LayerNorm layerNorm1;
    private final Linear fc1;
    private final Linear fc2;
    private final String act;
    private final LayerNorm layerNorm2;

    /** Builds under {@code scope} = {@code text_model.encoder.layers.<i>}, in transformers' registration order. */
    CLIPEncoderLayer(WeightScope scope, CLIPTextConfig config) {
        this.selfAttn = new CLIPAttention(scope.pp("self_attn"), config);
        this.layerNorm1 = LayerNorm.load(scope.pp("layer_norm1"), config.hiddenSize, config.layerNormEps);
        WeightScope mlp = scope.pp("mlp");
        this.fc1 = Linear.load(mlp.pp("fc1"), config.hiddenSize, config.intermediateSize, true);
        this.fc2 = Linear.load(mlp.pp("fc2"), config.intermediateSize, config.hiddenSize, true);
        this.act = config.hiddenAct;
        this.layerNorm2 = LayerNorm.load(scope.pp("layer_norm2"), config.hiddenSize, config.layerNormEps);
    }

    /** {@code x} {@code [B, L, hidden]}; the result belongs to the manager of {@code x}. */
    NDArray forward(NDArray x, NDArray mask, AttentionOptions options) {
        NDArray h = x.add(selfAttn.forward(layerNorm1.forward(x), mask, options));
        NDArray m = fc2.forward(Activations.apply(act, fc1.forward(layerNorm2.forward(h))));
        return h.add(m);
    }
}

// Port of transformers.models.clip.modeling_clip.CLIPTextModel (transformers 4.45).
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;

import java.util.Map;
import java.util.function.Function;

/**
 * The CLIP text encoder of Stable Diffusion 1.x/2.x ({@code text_encoder/}): checkpoint keys under
 * {@code text_model.} exactly as transformers saves them.
 *
 * <pre>{@code
 * try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("model.safetensors"));
 *      CLIPTextModel te = CLIPTextModel.load(CLIPTextConfig.load(dir.resolve("config.json")), st, manager,
 *              DataType.FLOAT32)) {
 *     NDArray embeds = te.forward(ids).lastHiddenState();
 * }
 * }</pre>
 */
public final class CLIPTextModel implements CLIPTextEncoder {
    private final CLIPTextTransformer textModel;
    private final WeightScope root;
    private final NDManager owned;

    private CLIPTextModel(CLIPTextTransformer textModel, WeightScope root, NDManager owned) {
        this.textModel = textModel;
        this.root = root;
        this.owned = owned;
    }

    /**
     * Builds the model on {@code root} (reading or random-initialising {@code text_model.*}). Strict loading is the
     * caller's: call {@code root.finish()} afterwards. The weights stay in {@code root}'s manager.
     */
    public static CLIPTextModel load(CLIPTextConfig cfg, WeightScope root) {
        return new CLIPTextModel(new CLIPTextTransformer(root.pp("text_model"), cfg), root, null);
    }

    /**
     * Loads the weights of {@code source} into a sub-manager of {@code manager} (freed by {@link #close()}) as
     * {@code dtype}, strictly: a missing, unused or mis-shaped key fails with all of them listed.
     */
    public static CLIPTextModel load(CLIPTextConfig cfg, TensorSource source, NDManager manager, DataType dtype) {
        return build(manager, weights -> WeightScope.load(source, weights, dtype), cfg, true);
    }

    /** A model with seeded random weights (deterministic per key), for tests and the embedded tiny pipeline. */
    public static CLIPTextModel randomInit(CLIPTextConfig cfg, long seed, NDManager manager, DataType dtype) {
        return build(manager, weights -> WeightScope.randomInit(seed, weights, dtype), cfg, false);
    }

    private static CLIPTextModel build(NDManager manager, Function<NDManager, WeightScope> scope, CLIPTextConfig cfg,
                                       boolean strict) {
        NDManager weights = manager.newSubManager();
        try {
            WeightScope root = scope.apply(weights);
            CLIPTextTransformer tm = new CLIPTextTransformer(root.pp("text_model"), cfg);
            if (strict) {
                root.finish();
            }
            return new CLIPTextModel(tm, root, weights);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    @Override
    public CLIPTextOutput forward(NDArray inputIds, NDArray attentionMaskOrNull, boolean outputHiddenStates) {
        return textModel.forward(inputIds, attentionMaskOrNull, outputHiddenStates, null);
    }

    @Override
    public NDArray finalLayerNorm(NDArray hiddenState) {
        return textModel.finalLayerNorm(hiddenState);
    }

    @Override
    public CLIPTextConfig config() {
        return textModel.config();
    }

    @Override
    public Map<String, NDArray> stateDict() {
        return root.tensors();
    }

    @Override
    public AttentionOptions attentionOptions() {
        return textModel.attentionOptions();
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}

// Port of transformers.models.clip.modeling_clip.CLIPTextModel (transformers 4.45).
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;

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
public final class CLIPTextModel extends AbstractCLIPTextModel {
    private CLIPTextModel(CLIPTextConfig cfg, WeightScope root, NDManager owned) {
        super(new CLIPTextTransformer(root.pp("text_model"), cfg), null, root, owned);
    }

    /**
     * Builds the model on {@code root} (reading or random-initialising {@code text_model.*}). Strict loading is the
     * caller's: call {@code root.finish()} afterwards. The weights stay in {@code root}'s manager.
     */
    public static CLIPTextModel load(CLIPTextConfig cfg, WeightScope root) {
        return new CLIPTextModel(cfg, root, null);
    }

    /**
     * Loads the weights of {@code source} into a sub-manager of {@code manager} (freed by {@link #close()}) as
     * {@code dtype}, strictly: a missing, unused or mis-shaped key fails with all of them listed.
     */
    public static CLIPTextModel load(CLIPTextConfig cfg, TensorSource source, NDManager manager, DataType dtype) {
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, false, (root, owned) -> new CLIPTextModel(cfg, root, owned));
    }

    /** A model with seeded random weights (deterministic per key), for tests and the embedded tiny pipeline. */
    public static CLIPTextModel randomInit(CLIPTextConfig cfg, long seed, NDManager manager, DataType dtype) {
        return OwnedWeights.randomInit(seed, manager, dtype, false, (root, owned) -> new CLIPTextModel(cfg, root,
                owned));
    }
}

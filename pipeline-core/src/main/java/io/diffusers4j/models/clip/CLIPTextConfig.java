// Port of transformers.models.clip.configuration_clip.CLIPTextConfig (transformers 4.45).
package io.diffusers4j.models.clip;

import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.nn.Activations;

import java.util.List;

/**
 * The {@code config.json} of a transformers CLIP text encoder ({@code text_encoder/} and {@code text_encoder_2/} of
 * diffusers pipelines). Fields are the transformers keys; defaults are {@code CLIPTextConfig.__init__}'s (the
 * openai/clip-vit-base-patch32 text tower).
 *
 * <p>transformers writes no {@code _class_name}: the model class is in {@code architectures}. {@link #toJson()}
 * therefore leaves {@code _class_name} out unless the file it was read from had one.
 */
public class CLIPTextConfig extends ConfigBase {
    public int vocabSize = 49408;
    public int hiddenSize = 512;
    public int intermediateSize = 2048;
    public int projectionDim = 512;
    public int numHiddenLayers = 12;
    public int numAttentionHeads = 8;
    public int maxPositionEmbeddings = 77;
    /** transformers' ACT2FN name: quick_gelu (SD 1.x), gelu (SD 2.x, SDXL's second encoder), ... */
    public String hiddenAct = "quick_gelu";
    public double layerNormEps = 1e-5;
    public double attentionDropout = 0.0;
    public double initializerRange = 0.02;
    public double initializerFactor = 1.0;
    public int padTokenId = 1;
    public int bosTokenId = 49406;
    /** Pooling rule: 2 (pre-PR-24773 checkpoints) means "argmax of the ids", anything else "first id == eos". */
    public int eosTokenId = 49407;
    /** Model classes this config was saved for, e.g. {@code ["CLIPTextModel"]} (transformers' class marker). */
    public List<String> architectures = null;
    public String modelType = "clip_text_model";
    /** The dtype the weights were saved in ({@code float32}, {@code float16}); informational. */
    public String torchDtype = null;

    @Override
    public void validate() {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("projection_dim", projectionDim);
        if (numHiddenLayers < 0) {
            throw invalid("num_hidden_layers must be >= 0, got %d", numHiddenLayers);
        }
        positive("num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (hiddenSize % numAttentionHeads != 0) {
            throw invalid("hidden_size %d is not divisible by num_attention_heads %d", hiddenSize,
                    numAttentionHeads);
        }
        if (hiddenAct == null) {
            throw invalid("hidden_act is null");
        }
        Activations.check(hiddenAct);
        if (!(layerNormEps > 0)) {
            throw invalid("layer_norm_eps must be > 0, got %s", layerNormEps);
        }
        if (!(attentionDropout >= 0 && attentionDropout < 1)) {
            throw invalid("attention_dropout must be in [0, 1), got %s", attentionDropout);
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw invalid("%s must be > 0, got %d", key, value);
        }
    }

    /** Per-head width, {@code hidden_size / num_attention_heads}. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    @Override
    public String defaultClassName() {
        return architectures == null || architectures.isEmpty() ? "CLIPTextModel" : architectures.get(0);
    }

    /** The JSON form transformers writes: no {@code _class_name} unless the source file carried one. */
    @Override
    public JsonObject toJson() {
        JsonObject json = super.toJson();
        if (!metadata().containsKey("_class_name")) {
            json.remove("_class_name");
        }
        return json;
    }

    /** Reads a transformers {@code config.json}. */
    public static CLIPTextConfig load(java.nio.file.Path file) {
        return ConfigBase.load(file, CLIPTextConfig.class);
    }
}

// Port of transformers.models.clip.configuration_clip.CLIPTextConfig (transformers 4.45).
package io.diffusers4j.models.clip;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.TransformersConfig;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.weights.ShapeCheck;
import io.diffusers4j.weights.TensorSource;

import java.nio.file.Path;

import static io.diffusers4j.config.ConfigLimits.inRange;

/**
 * The {@code config.json} of a transformers CLIP text encoder ({@code text_encoder/} and {@code text_encoder_2/} of
 * diffusers pipelines). Fields are the transformers keys; defaults are {@code CLIPTextConfig.__init__}'s (the
 * openai/clip-vit-base-patch32 text tower).
 *
 * <p>transformers writes no {@code _class_name}: the model class is in {@code architectures}. {@link #toJson()}
 * therefore leaves {@code _class_name} out unless the file it was read from had one.
 */
public class CLIPTextConfig extends TransformersConfig {
    /**
     * Largest width: hidden, intermediate and projection sizes (CLIP ViT-bigG: 1280 / 5120 / 1280; T5-XXL's d_ff
     * is 10240). Sizes below the limits are still checked against the weights' shapes ({@link #checkWeights}).
     */
    public static final int MAX_WIDTH = 65_536;
    /** Largest vocabulary (CLIP 49,408; the largest multilingual tokenizers about 256,000). */
    public static final int MAX_VOCAB = 1 << 22;
    /** Most encoder layers (CLIP ViT-bigG: 32). */
    public static final int MAX_LAYERS = 256;
    /** Most attention heads (CLIP ViT-bigG: 20). */
    public static final int MAX_HEADS = 1024;
    /**
     * Largest {@code max_position_embeddings} (CLIP 77, Long-CLIP 248): a prompt of that many tokens gets a
     * {@code [L, L]} causal mask, 256 MB of floats at 8192.
     */
    public static final int MAX_POSITIONS = 8192;

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
    public String modelType = "clip_text_model";
    /** The dtype the weights were saved in ({@code float32}, {@code float16}); informational. */
    public String torchDtype = null;

    @Override
    public void validate() {
        inRange("vocab_size", vocabSize, 1, MAX_VOCAB);
        inRange("hidden_size", hiddenSize, 1, MAX_WIDTH);
        inRange("intermediate_size", intermediateSize, 1, MAX_WIDTH);
        inRange("projection_dim", projectionDim, 1, MAX_WIDTH);
        inRange("num_hidden_layers", numHiddenLayers, 0, MAX_LAYERS);
        inRange("num_attention_heads", numAttentionHeads, 1, MAX_HEADS);
        inRange("max_position_embeddings", maxPositionEmbeddings, 1, MAX_POSITIONS);
        if (hiddenSize % numAttentionHeads != 0) {
            throw invalid("key 'num_attention_heads' is %d, which does not divide hidden_size %d", numAttentionHeads,
                    hiddenSize);
        }
        Activations.check("hidden_act", hiddenAct);
        if (!(layerNormEps > 0)) {
            throw invalid("key 'layer_norm_eps' must be > 0, got %s", layerNormEps);
        }
        if (!(attentionDropout >= 0 && attentionDropout < 1)) {
            throw invalid("key 'attention_dropout' must be in [0, 1), got %s", attentionDropout);
        }
    }

    /**
     * The sizes against the checkpoint's tensor shapes (its header only: nothing is read or allocated), so that a
     * config that does not fit its weights is refused naming the key before the model is built.
     */
    public void checkWeights(TensorSource weights) {
        String embeddings = "text_model.embeddings.";
        new ShapeCheck(source(), weights)
                .dim("vocab_size", vocabSize, vocabSize, embeddings + "token_embedding.weight", 0)
                .dim("hidden_size", hiddenSize, hiddenSize, embeddings + "token_embedding.weight", 1)
                .dim("max_position_embeddings", maxPositionEmbeddings, maxPositionEmbeddings,
                        embeddings + "position_embedding.weight", 0)
                .count("num_hidden_layers", numHiddenLayers, numHiddenLayers, "text_model.encoder.layers")
                .dim("intermediate_size", intermediateSize, intermediateSize,
                        "text_model.encoder.layers.0.mlp.fc1.weight", 0)
                .dim("projection_dim", projectionDim, projectionDim, "text_projection.weight", 0);
    }

    /** Per-head width, {@code hidden_size / num_attention_heads}. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    @Override
    protected String fallbackClassName() {
        return "CLIPTextModel";
    }

    /** Reads a transformers {@code config.json}. */
    public static CLIPTextConfig load(Path file) {
        return ConfigBase.load(file, CLIPTextConfig.class);
    }
}

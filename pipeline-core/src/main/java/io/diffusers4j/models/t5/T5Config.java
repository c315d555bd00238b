// Port of transformers.models.t5.configuration_t5.T5Config (transformers d6751d91).
package io.diffusers4j.models.t5;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.TransformersConfig;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.weights.ShapeCheck;
import io.diffusers4j.weights.TensorSource;

import java.nio.file.Path;

import static io.diffusers4j.config.ConfigLimits.inRange;
import static io.diffusers4j.config.ConfigLimits.inRangeIfSet;

/**
 * The {@code config.json} of a transformers T5 model (the {@code text_encoder_3/} of Stable Diffusion 3, the
 * {@code text_encoder_2/} of FLUX.1: T5 v1.1 XXL's encoder). Fields are the transformers keys; defaults are
 * {@code T5Config.__init__}'s (google-t5/t5-small).
 *
 * <p>{@code dense_act_fn} and {@code is_gated_act} are derived from {@code feed_forward_proj} as transformers does
 * ({@code "gated-gelu"} is gated {@code gelu_new}, the tanh approximation; {@code "gated-<act>"} is gated
 * {@code <act>}; {@code "<act>"} is not gated). A {@code config.json} saved by transformers carries both keys too;
 * as in transformers (whose {@code PretrainedConfig.__init__} sets every remaining key after the derivation), the
 * file's values win: {@link #denseActFn()} and {@link #isGatedAct()} give the values the model is built with.
 *
 * <p>transformers writes no {@code _class_name}: the model class is in {@code architectures}, and {@link #toJson()}
 * leaves {@code _class_name} out unless the file it was read from had one.
 */
public class T5Config extends TransformersConfig {
    /** Largest vocabulary (T5: 32,128; mT5 / umT5: 250,112 / 256,384). */
    public static final int MAX_VOCAB = 1 << 22;
    /** Largest {@code d_model} (T5-XXL: 4096). */
    public static final int MAX_D_MODEL = 65_536;
    /** Largest {@code d_kv} (T5-11B: 128). */
    public static final int MAX_D_KV = 65_536;
    /** Largest {@code d_ff} (T5 v1.1 XXL: 10,240; the original T5-11B: 65,536). */
    public static final int MAX_D_FF = 1 << 18;
    /** Largest attention width {@code num_heads * d_kv} (T5-XXL: 64 x 64; T5-11B: 128 x 128). */
    public static final int MAX_INNER_DIM = 1 << 18;
    /** Most encoder (or decoder) layers (T5-XXL: 24). */
    public static final int MAX_LAYERS = 256;
    /** Most attention heads (T5-11B: 128). */
    public static final int MAX_HEADS = 1024;
    /**
     * Most relative-position buckets (T5: 32). At least 4: the bidirectional encoder halves them and needs one
     * exact bucket ({@code num_buckets / 4 >= 1}; with fewer, transformers divides by zero).
     */
    public static final int MAX_BUCKETS = 4096;
    /** Largest {@code relative_attention_max_distance} (T5: 128). */
    public static final int MAX_DISTANCE = 1 << 20;

    public int vocabSize = 32128;
    public int dModel = 512;
    public int dKv = 64;
    public int dFf = 2048;
    public int numLayers = 6;
    /** Decoder depth (null: {@code num_layers}); unused by the encoder, bounded all the same. */
    public Integer numDecoderLayers = null;
    public int numHeads = 8;
    public int relativeAttentionNumBuckets = 32;
    public int relativeAttentionMaxDistance = 128;
    public double dropoutRate = 0.1;
    public double classifierDropout = 0.0;
    public double layerNormEpsilon = 1e-6;
    public double initializerFactor = 1.0;
    /** {@code "relu"} (T5 v1.0), {@code "gated-gelu"} (T5 v1.1), or any {@code "<act>"} / {@code "gated-<act>"}. */
    public String feedForwardProj = "relu";
    /** The activation of the feed-forward layers; null: derived from {@code feed_forward_proj}. */
    public String denseActFn = null;
    /** Whether the feed-forward layer is gated ({@code wi_0}, {@code wi_1}); null: derived. */
    public Boolean isGatedAct = null;
    public Boolean isEncoderDecoder = true;
    public Boolean useCache = true;
    public Integer padTokenId = 0;
    public Integer eosTokenId = 1;
    public Integer decoderStartTokenId = null;
    /** PretrainedConfig's default is true (T5 v1.0); T5 v1.1 checkpoints say false. Not used by the encoder. */
    public Boolean tieWordEmbeddings = true;
    /** Model classes this config was saved for, e.g. {@code ["T5EncoderModel"]}. */
    public String modelType = "t5";
    /** The dtype the weights were saved in ({@code float32}, {@code float16}, {@code bfloat16}); informational. */
    public String torchDtype = null;

    @Override
    public void validate() {
        inRange("vocab_size", vocabSize, 1, MAX_VOCAB);
        inRange("d_model", dModel, 1, MAX_D_MODEL);
        inRange("d_kv", dKv, 1, MAX_D_KV);
        inRange("d_ff", dFf, 1, MAX_D_FF);
        inRange("num_layers", numLayers, 0, MAX_LAYERS);
        inRangeIfSet("num_decoder_layers", numDecoderLayers, 0, MAX_LAYERS);
        inRange("num_heads", numHeads, 1, MAX_HEADS);
        if ((long) numHeads * dKv > MAX_INNER_DIM) {
            throw invalid("keys 'num_heads' %d x 'd_kv' %d give an attention width of %d, more than the %d allowed",
                    numHeads, dKv, (long) numHeads * dKv, MAX_INNER_DIM);
        }
        inRange("relative_attention_num_buckets", relativeAttentionNumBuckets, 4, MAX_BUCKETS);
        inRange("relative_attention_max_distance", relativeAttentionMaxDistance, 1, MAX_DISTANCE);
        int maxExact = relativeAttentionNumBuckets / 2 / 2;
        if (relativeAttentionMaxDistance <= maxExact) {
            throw invalid("key 'relative_attention_max_distance' is %d, which must exceed relative_attention_num_buckets"
                    + " / 4 = %d (the exact buckets; transformers divides by log(max_distance / that) = 0 otherwise)",
                    relativeAttentionMaxDistance, maxExact);
        }
        if (!(layerNormEpsilon > 0) || Double.isInfinite(layerNormEpsilon)) {
            throw invalid("key 'layer_norm_epsilon' must be a positive number, got %s", layerNormEpsilon);
        }
        if (!(dropoutRate >= 0 && dropoutRate < 1)) {
            throw invalid("key 'dropout_rate' must be in [0, 1), got %s", dropoutRate);
        }
        if (!(classifierDropout >= 0 && classifierDropout < 1)) {
            throw invalid("key 'classifier_dropout' must be in [0, 1), got %s", classifierDropout);
        }
        if (!Double.isFinite(initializerFactor)) {
            throw invalid("key 'initializer_factor' must be a finite number, got %s", initializerFactor);
        }
        parseFeedForwardProj(feedForwardProj);
        Activations.check(denseActFn == null ? "feed_forward_proj" : "dense_act_fn", denseActFn());
    }

    /** The {@code feed_forward_proj} parts as {@code T5Config.__init__} splits them: [activation, "gated" or null]. */
    private static String[] parseFeedForwardProj(String proj) {
        if (proj == null) {
            throw new IllegalArgumentException("key 'feed_forward_proj' is null, not an activation name");
        }
        String[] parts = proj.split("-", -1);
        if (parts.length > 1 && !parts[0].equals("gated") || parts.length > 2) {
            throw invalid("key 'feed_forward_proj': %s is not a valid activation function of the dense layer. "
                    + "Please make sure `feed_forward_proj` is of the format `gated-{ACT_FN}` or `{ACT_FN}`, e.g. "
                    + "'gated-gelu' or 'relu'", proj);
        }
        return new String[] {parts[parts.length - 1], parts[0].equals("gated") ? "gated" : null};
    }

    /**
     * The feed-forward activation (transformers' ACT2FN name): {@code dense_act_fn} when the file sets it, else the
     * last part of {@code feed_forward_proj}, with {@code "gated-gelu"} meaning {@code gelu_new}.
     */
    public String denseActFn() {
        if (denseActFn != null) {
            return denseActFn;
        }
        return "gated-gelu".equals(feedForwardProj) ? "gelu_new" : parseFeedForwardProj(feedForwardProj)[0];
    }

    /** Whether the feed-forward layer is gated: {@code is_gated_act} when set, else {@code feed_forward_proj} starts
     * with {@code "gated"}. */
    public boolean isGatedAct() {
        if (isGatedAct != null) {
            return isGatedAct;
        }
        return parseFeedForwardProj(feedForwardProj)[1] != null;
    }

    /** The attention width {@code num_heads * d_kv} (transformers' {@code inner_dim}). */
    public int innerDim() {
        return numHeads * dKv;
    }

    /**
     * The sizes against the checkpoint's tensor shapes (its header only: nothing is read or allocated), so that a
     * config that does not fit its weights is refused naming the key before the model is built. Both embedding keys
     * are checked when the checkpoint has both ({@code shared.weight} and its tie {@code encoder.embed_tokens.weight}).
     */
    public void checkWeights(TensorSource weights) {
        String attention = "encoder.block.0.layer.0.SelfAttention.";
        String ff = "encoder.block.0.layer.1.DenseReluDense.";
        new ShapeCheck(source(), weights)
                .dim("vocab_size", vocabSize, vocabSize, "shared.weight", 0)
                .dim("d_model", dModel, dModel, "shared.weight", 1)
                .dim("vocab_size", vocabSize, vocabSize, "encoder.embed_tokens.weight", 0)
                .dim("d_model", dModel, dModel, "encoder.embed_tokens.weight", 1)
                .count("num_layers", numLayers, numLayers, "encoder.block")
                .dim("num_heads", numHeads, innerDim(), attention + "q.weight", 0)
                .dim("relative_attention_num_buckets", relativeAttentionNumBuckets, relativeAttentionNumBuckets,
                        attention + "relative_attention_bias.weight", 0)
                .dim("num_heads", numHeads, numHeads, attention + "relative_attention_bias.weight", 1)
                .dim("d_ff", dFf, dFf, ff + (isGatedAct() ? "wi_0.weight" : "wi.weight"), 0);
    }

    @Override
    protected String fallbackClassName() {
        return "T5EncoderModel";
    }

    /** Reads a transformers {@code config.json}, validated (errors name the file and the key). */
    public static T5Config load(Path file) {
        return ConfigBase.load(file, T5Config.class);
    }
}

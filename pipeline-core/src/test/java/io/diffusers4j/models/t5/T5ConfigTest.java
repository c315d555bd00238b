// T5Config: real configs validate, feed_forward_proj is parsed as transformers does, hostile sizes are refused.
package io.diffusers4j.models.t5;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.weights.MapTensorSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The configs of the real T5 text encoders (SD3's / FLUX's T5 v1.1 XXL, the original T5-11B with its 65,536-wide
 * feed-forward) validate; {@code feed_forward_proj} gives {@code dense_act_fn} / {@code is_gated_act} as
 * {@code T5Config.__init__} derives them; each size a {@code config.json} sets is bounded before anything is
 * allocated, and the refusal names the file and the key.
 */
class T5ConfigTest {
    /** google/t5-v1_1-xxl's encoder config as SD3 and FLUX ship it (text_encoder_3 / text_encoder_2). */
    static final String T5_V1_1_XXL = """
            {"_name_or_path": "google/t5-v1_1-xxl", "architectures": ["T5EncoderModel"], "classifier_dropout": 0.0,
             "d_ff": 10240, "d_kv": 64, "d_model": 4096, "decoder_start_token_id": 0, "dense_act_fn": "gelu_new",
             "dropout_rate": 0.1, "eos_token_id": 1, "feed_forward_proj": "gated-gelu", "initializer_factor": 1.0,
             "is_encoder_decoder": true, "is_gated_act": true, "layer_norm_epsilon": 1e-06, "model_type": "t5",
             "num_decoder_layers": 24, "num_heads": 64, "num_layers": 24, "output_past": true, "pad_token_id": 0,
             "relative_attention_max_distance": 128, "relative_attention_num_buckets": 32,
             "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.41.2",
             "use_cache": true, "vocab_size": 32128}""";
    /** google-t5/t5-11b (T5 v1.0): relu, 128 heads of 128, d_ff 65,536. */
    static final String T5_11B = """
            {"architectures": ["T5WithLMHeadModel"], "d_ff": 65536, "d_kv": 128, "d_model": 1024,
             "decoder_start_token_id": 0, "dropout_rate": 0.1, "eos_token_id": 1, "initializer_factor": 1.0,
             "is_encoder_decoder": true, "layer_norm_epsilon": 1e-06, "model_type": "t5", "n_positions": 512,
             "num_heads": 128, "num_layers": 24, "output_past": true, "pad_token_id": 0,
             "relative_attention_num_buckets": 32, "vocab_size": 32128}""";

    private static T5Config parse(String json) {
        return ConfigBase.fromJson(ConfigBase.parseJsonObject(json, "SRC"), T5Config.class, "SRC");
    }

    private static String with(String json, String key, String value) {
        JsonObject o = ConfigBase.parseJsonObject(json, "SRC");
        o.add(key, ConfigBase.parseJsonObject("{\"v\": " + value + "}", "SRC").get("v"));
        return o.toString();
    }

    private static String without(String json, String... keys) {
        JsonObject o = ConfigBase.parseJsonObject(json, "SRC");
        for (String k : keys) {
            o.remove(k);
        }
        return o.toString();
    }

    @Test
    void realConfigsValidate() {
        T5Config xxl = parse(T5_V1_1_XXL);
        assertEquals(4096, xxl.dModel);
        assertEquals(4096, xxl.innerDim());
        assertTrue(xxl.isGatedAct());
        assertEquals("gelu_new", xxl.denseActFn());
        assertEquals("T5EncoderModel", xxl.className());
        assertFalse(xxl.toJson().has("_class_name"), "transformers writes no _class_name");
        assertEquals("google/t5-v1_1-xxl", xxl.metadata().get("_name_or_path").getAsString());
        T5Config t511b = parse(T5_11B);
        assertEquals(65536, t511b.dFf);
        assertEquals(16384, t511b.innerDim());
        assertFalse(t511b.isGatedAct());
        assertEquals("relu", t511b.denseActFn());
        assertEquals(128, t511b.relativeAttentionMaxDistance, "transformers' default");
    }

    @Test
    void feedForwardProjIsDerivedAsTransformersDoes() {
        String base = without(T5_V1_1_XXL, "dense_act_fn", "is_gated_act");
        Map<String, Object[]> cases = Map.of(
                "\"gated-gelu\"", new Object[] {"gelu_new", true},
                "\"gelu\"", new Object[] {"gelu", false},
                "\"relu\"", new Object[] {"relu", false},
                "\"gated-silu\"", new Object[] {"silu", true},
                "\"gated-relu\"", new Object[] {"relu", true},
                "\"gelu_new\"", new Object[] {"gelu_new", false});
        cases.forEach((proj, expected) -> {
            T5Config c = parse(with(base, "feed_forward_proj", proj));
            assertEquals(expected[0], c.denseActFn(), proj);
            assertEquals(expected[1], c.isGatedAct(), proj);
            assertNull(c.denseActFn, "nothing stored for " + proj);
        });
        // the file's dense_act_fn / is_gated_act win, as PretrainedConfig.__init__ sets them after the derivation
        T5Config explicit = parse(with(with(base, "feed_forward_proj", "\"gated-gelu\""), "dense_act_fn",
                "\"gelu\""));
        assertEquals("gelu", explicit.denseActFn());
        for (String bad : new String[] {"\"foo-gelu\"", "\"gated-gelu-new\"", "\"gated-\"", "\"-gelu\""}) {
            String message = assertThrows(IllegalArgumentException.class,
                    () -> parse(with(base, "feed_forward_proj", bad))).getMessage();
            assertTrue(message.startsWith("SRC: key 'feed_forward_proj'"), message);
        }
        for (String unsupported : new String[] {"\"gated-foo\"", "\"gated\"", "\"relu6\""}) {
            String message = assertThrows(IllegalArgumentException.class,
                    () -> parse(with(base, "feed_forward_proj", unsupported))).getMessage();
            assertTrue(message.contains("feed_forward_proj") && message.contains("unsupported activation"), message);
        }
        String message = assertThrows(IllegalArgumentException.class,
                () -> parse(with(T5_V1_1_XXL, "dense_act_fn", "\"laplace\""))).getMessage();
        assertTrue(message.contains("dense_act_fn"), message);
    }

    @Test
    void hostileSizesAreRefusedNamingFileAndKey(@TempDir Path dir) throws IOException {
        String[][] hostile = {
                {"vocab_size", "0"}, {"vocab_size", "1000000000"}, {"vocab_size", "-5"},
                {"d_model", "0"}, {"d_model", "1000000"}, {"d_kv", "0"}, {"d_kv", "100000"},
                {"d_ff", "-1"}, {"d_ff", "10000000"}, {"num_layers", "-1"}, {"num_layers", "100000"},
                {"num_decoder_layers", "1000000"}, {"num_heads", "0"}, {"num_heads", "100000"},
                {"d_kv", "65536"}, {"relative_attention_num_buckets", "2"},
                {"relative_attention_num_buckets", "3"}, {"relative_attention_num_buckets", "1000000"},
                {"relative_attention_max_distance", "0"}, {"relative_attention_max_distance", "8"},
                {"relative_attention_max_distance", "2000000000"}, {"layer_norm_epsilon", "0"},
                {"layer_norm_epsilon", "-1e-6"}, {"dropout_rate", "1.5"}, {"classifier_dropout", "-0.1"},
                {"d_model", "4096.5"}, {"d_model", "\"4096\""}, {"num_layers", "null"}, {"vocab_size", "1e30"},
        };
        Path file = dir.resolve("config.json");
        for (String[] h : hostile) {
            Files.writeString(file, with(T5_V1_1_XXL, h[0], h[1]));
            String message = assertThrows(IllegalArgumentException.class, () -> T5Config.load(file),
                    h[0] + " = " + h[1]).getMessage();
            assertTrue(message.startsWith(file.toString()), message);
            assertTrue(message.contains("'" + h[0] + "'"), h[0] + " = " + h[1] + ": " + message);
        }
    }

    @Test
    void limitsAreInclusive() {
        parse(with(with(T5_V1_1_XXL, "d_ff", Integer.toString(T5Config.MAX_D_FF)), "num_layers",
                Integer.toString(T5Config.MAX_LAYERS)));
        parse(with(with(T5_V1_1_XXL, "relative_attention_num_buckets", "4"), "relative_attention_max_distance",
                "2"));
        assertThrows(IllegalArgumentException.class, () -> parse(with(with(T5_V1_1_XXL,
                "relative_attention_num_buckets", "4"), "relative_attention_max_distance", "1")));
        parse(with(with(T5_V1_1_XXL, "num_heads", "1024"), "d_kv", "256"));
    }

    @Test
    void configNotFittingTheWeightsIsRefusedBeforeTheBuild() {
        try (NDManager m = NDManager.newBaseManager()) {
            T5Config cfg = parse(with(with(with(with(T5_V1_1_XXL, "d_model", "8"), "num_layers", "1"), "d_ff", "4"),
                    "vocab_size", "10"));
            MapTensorSource weights = new MapTensorSource(Map.of("shared.weight", m.zeros(new Shape(10, 16))));
            String message = assertThrows(IllegalArgumentException.class, () -> cfg.checkWeights(weights)).getMessage();
            assertTrue(message.startsWith("SRC: key 'd_model' is 8") && message.contains("shared.weight"), message);
        }
    }
}

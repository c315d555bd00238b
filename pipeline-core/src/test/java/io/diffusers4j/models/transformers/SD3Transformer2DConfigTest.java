// SD3Transformer2DConfig: the published SD3 config reads; hostile, inconsistent and SD3.5 configs are refused by key.
package io.diffusers4j.models.transformers;

import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SD3Transformer2DConfigTest {
    /** stabilityai/stable-diffusion-3-medium-diffusers, transformer/config.json. */
    static final String SD3_MEDIUM = """
            {"_class_name": "SD3Transformer2DModel", "_diffusers_version": "0.29.0.dev0", "attention_head_dim": 64,
             "caption_projection_dim": 1536, "in_channels": 16, "joint_attention_dim": 4096,
             "num_attention_heads": 24, "num_layers": 24, "out_channels": 16, "patch_size": 2,
             "pooled_projection_dim": 2048, "pos_embed_max_size": 192, "sample_size": 128}""";

    @TempDir
    Path dir;

    static SD3Transformer2DConfig parse(String json) {
        return ConfigBase.fromJson(ConfigBase.parseJsonObject(json, "transformer/config.json"),
                SD3Transformer2DConfig.class, "transformer/config.json");
    }

    static String with(String key, String value) {
        JsonObject o = ConfigBase.parseJsonObject(SD3_MEDIUM, "x");
        o.add(key, ConfigBase.parseJsonObject("{\"v\": " + value + "}", "x").get("v"));
        return o.toString();
    }

    @Test
    void readsTheSd3MediumConfig() {
        SD3Transformer2DConfig cfg = parse(SD3_MEDIUM);
        assertEquals(1536, cfg.innerDim());
        assertEquals(24, cfg.numLayers);
        assertEquals(192, cfg.posEmbedMaxSize);
        assertEquals(16, cfg.resolvedOutChannels());
        assertEquals("SD3Transformer2DModel", cfg.className());
    }

    @Test
    void defaultsAreDiffusers() {
        SD3Transformer2DConfig cfg = parse("{}");
        assertEquals(128, cfg.sampleSize);
        assertEquals(18, cfg.numLayers);
        assertEquals(96, cfg.posEmbedMaxSize);
        // diffusers' default caption_projection_dim 1152 equals its default 18 x 64
        assertEquals(1152, cfg.innerDim());
    }

    @Test
    void unknownHarmlessKeysAreKeptForSaving() {
        SD3Transformer2DConfig cfg = parse(with("some_future_flag", "true"));
        assertTrue(cfg.extraKeys().containsKey("some_future_flag"));
        assertTrue(cfg.toJson().has("some_future_flag"));
        // SD3.5's keys at their neutral values change nothing
        parse(with("qk_norm", "null"));
        parse(with("dual_attention_layers", "[]"));
        assertNull(parse(with("out_channels", "null")).outChannels);
        assertEquals(16, parse(with("out_channels", "null")).resolvedOutChannels());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "num_layers|2000000000|key 'num_layers' is 2000000000, more than the 1024 allowed",
        "num_layers|0|key 'num_layers' is 0, less than the minimum 1",
        "num_attention_heads|-3|key 'num_attention_heads' is -3, less than the minimum 1",
        "attention_head_dim|100000|key 'attention_head_dim' is 100000, more than the 1024 allowed",
        "joint_attention_dim|1000000|key 'joint_attention_dim' is 1000000, more than the 65536 allowed",
        "pooled_projection_dim|0|key 'pooled_projection_dim' is 0",
        "in_channels|70000|key 'in_channels' is 70000",
        "out_channels|-1|key 'out_channels' is -1",
        "patch_size|1000|key 'patch_size' is 1000",
        "sample_size|0|key 'sample_size' is 0",
        "pos_embed_max_size|100000|key 'pos_embed_max_size' is 100000",
        "pos_embed_max_size|16384|the position table of 16384 x 16384 patches",
        "caption_projection_dim|1152|key 'caption_projection_dim' is 1152 but the transformer blocks are",
        "num_layers|\"many\"|key 'num_layers' has value \"many\"",
        "qk_norm|\"rms_norm\"|key 'qk_norm' is \"rms_norm\"",
        "dual_attention_layers|[0, 1]|key 'dual_attention_layers' is [0,1]"})
    void hostileOrUnsupportedValuesAreRefusedNamingFileAndKey(String key, String value, String message)
            throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, with(key, value), StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigBase.load(file, SD3Transformer2DConfig.class));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void headDimsThatCannotMakeTheSineCosineTableAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(
                "{\"num_attention_heads\": 3, \"attention_head_dim\": 2, \"caption_projection_dim\": 6}"));
        assertTrue(e.getMessage().contains("must be divisible by 4"), e.getMessage());
    }

    @Test
    void configsThatDoNotFitTheCheckpointAreRefusedBeforeLoading() {
        SD3Transformer2DConfig tiny = FlowReference.config("sd3", SD3Transformer2DConfig.class);
        try (SafetensorsFile st = FlowReference.weights("sd3")) {
            tiny.checkWeights(st);
            SD3Transformer2DConfig deeper = parse(tiny.toJson().toString().replace("\"num_layers\":2",
                    "\"num_layers\":3"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> deeper.checkWeights(st));
            assertTrue(e.getMessage().contains("key 'num_layers' is 3 but"), e.getMessage());
            SD3Transformer2DConfig wider = parse(tiny.toJson().toString().replace("\"joint_attention_dim\":96",
                    "\"joint_attention_dim\":4096"));
            e = assertThrows(IllegalArgumentException.class, () -> wider.checkWeights(st));
            assertTrue(e.getMessage().contains("key 'joint_attention_dim' is 4096 but"), e.getMessage());
            SD3Transformer2DConfig bigger = parse(tiny.toJson().toString().replace("\"pos_embed_max_size\":24",
                    "\"pos_embed_max_size\":192"));
            e = assertThrows(IllegalArgumentException.class, () -> bigger.checkWeights(st));
            assertTrue(e.getMessage().contains("key 'pos_embed_max_size' is 192 but"), e.getMessage());
        }
    }
}

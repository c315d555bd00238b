// FluxTransformer2DConfig: the published FLUX.1 configs read; hostile and inconsistent configs are refused by key.
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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FluxTransformer2DConfigTest {
    /** black-forest-labs/FLUX.1-dev, transformer/config.json (schnell: "guidance_embeds": false). */
    static final String FLUX_DEV = """
            {"_class_name": "FluxTransformer2DModel", "_diffusers_version": "0.30.0.dev0", "attention_head_dim": 128,
             "guidance_embeds": true, "in_channels": 64, "joint_attention_dim": 4096, "num_attention_heads": 24,
             "num_layers": 19, "num_single_layers": 38, "patch_size": 1, "pooled_projection_dim": 768}""";

    @TempDir
    Path dir;

    static FluxTransformer2DConfig parse(String json) {
        return ConfigBase.fromJson(ConfigBase.parseJsonObject(json, "transformer/config.json"),
                FluxTransformer2DConfig.class, "transformer/config.json");
    }

    static String with(String key, String value) {
        JsonObject o = ConfigBase.parseJsonObject(FLUX_DEV, "x");
        o.add(key, ConfigBase.parseJsonObject("{\"v\": " + value + "}", "x").get("v"));
        return o.toString();
    }

    @Test
    void readsTheFluxDevAndSchnellConfigs() {
        FluxTransformer2DConfig dev = parse(FLUX_DEV);
        assertEquals(3072, dev.innerDim());
        assertTrue(dev.guidanceEmbeds);
        assertEquals(List.of(16, 56, 56), dev.axesDimsRope);
        assertEquals(64, dev.outFeatures());
        FluxTransformer2DConfig schnell = parse(with("guidance_embeds", "false"));
        assertFalse(schnell.guidanceEmbeds);
        assertEquals("FluxTransformer2DModel", schnell.className());
    }

    @Test
    void unknownHarmlessKeysAreKept() {
        FluxTransformer2DConfig cfg = parse(with("some_future_flag", "1"));
        assertTrue(cfg.toJson().has("some_future_flag"));
        parse(with("out_channels", "null"));
        parse(with("out_channels", "64"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "num_layers|2000000000|key 'num_layers' is 2000000000, more than the 1024 allowed",
        "num_single_layers|-1|key 'num_single_layers' is -1, less than the minimum 0",
        "num_attention_heads|0|key 'num_attention_heads' is 0, less than the minimum 1",
        "attention_head_dim|5000|key 'attention_head_dim' is 5000",
        "joint_attention_dim|99999999|key 'joint_attention_dim' is 99999999",
        "pooled_projection_dim|0|key 'pooled_projection_dim' is 0",
        "in_channels|0|key 'in_channels' is 0",
        "patch_size|65|key 'patch_size' is 65",
        "axes_dims_rope|[16, 56, 58]|adds up to 130 but attention_head_dim is 128",
        "axes_dims_rope|[16, 55, 57]|every rotary dimension must be even",
        "axes_dims_rope|[16, -56, 168]|key 'axes_dims_rope' [16, -56, 168] has -56",
        "axes_dims_rope|[]|adds up to 0",
        "axes_dims_rope|[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 96]|has 17 entries",
        "axes_dims_rope|null|key 'axes_dims_rope' must be a list of ints, got null",
        "guidance_embeds|\"yes\"|key 'guidance_embeds' has value \"yes\"",
        "out_channels|16|key 'out_channels' is 16"})
    void hostileOrUnsupportedValuesAreRefusedNamingFileAndKey(String key, String value, String message)
            throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, with(key, value), StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigBase.load(file, FluxTransformer2DConfig.class));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void configsThatDoNotFitTheCheckpointAreRefusedBeforeLoading() {
        FluxTransformer2DConfig tiny = FlowReference.config("flux-guidance", FluxTransformer2DConfig.class);
        try (SafetensorsFile st = FlowReference.weights("flux-guidance")) {
            tiny.checkWeights(st);
            String json = tiny.toJson().toString();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(
                    json.replace("\"guidance_embeds\":true", "\"guidance_embeds\":false")).checkWeights(st));
            assertTrue(e.getMessage().contains("key 'guidance_embeds' is false but"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> parse(
                    json.replace("\"num_single_layers\":2", "\"num_single_layers\":38")).checkWeights(st));
            assertTrue(e.getMessage().contains("key 'num_single_layers' is 38 but"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> parse(
                    json.replace("\"in_channels\":64", "\"in_channels\":16")).checkWeights(st));
            assertTrue(e.getMessage().contains("key 'in_channels' is 16 but"), e.getMessage());
        }
        FluxTransformer2DConfig noGuidance = FlowReference.config("flux", FluxTransformer2DConfig.class);
        try (SafetensorsFile st = FlowReference.weights("flux")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(
                    noGuidance.toJson().toString().replace("\"guidance_embeds\":false", "\"guidance_embeds\":true"))
                    .checkWeights(st));
            assertTrue(e.getMessage().contains("has no time_text_embed.guidance_embedder"), e.getMessage());
        }
    }
}

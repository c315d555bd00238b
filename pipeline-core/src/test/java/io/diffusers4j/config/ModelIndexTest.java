// model_index.json parsing, validation errors and byte-exact save in diffusers' form.
package io.diffusers4j.config;

import com.google.gson.JsonPrimitive;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelIndexTest {
    @Test
    void parsesTheFixture() {
        ModelIndex mi = ModelIndex.load(Fixtures.tinySd());
        assertEquals("StableDiffusionPipeline", mi.className());
        assertNull(mi.customPipeline());
        assertEquals("0.30.3", mi.diffusersVersion());
        assertEquals(List.of("scheduler", "text_encoder", "tokenizer", "unet", "vae"), mi.presentComponentNames());
        assertEquals(new ModelIndex.Component("unet", "diffusers", "UNet2DConditionModel"), mi.component("unet"));
        assertEquals(new ModelIndex.Component("text_encoder", "transformers", "CLIPTextModel"),
                mi.component("text_encoder"));
        assertFalse(mi.component("safety_checker").isPresent());
        assertFalse(mi.hasComponent("feature_extractor"));
        assertTrue(mi.components().containsKey("image_encoder"));
        assertEquals(8, mi.components().size());
        assertFalse(mi.getBoolean("requires_safety_checker", true));
        assertEquals(1, mi.plainKeys().size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mi.component("nope"));
        assertTrue(e.getMessage().contains("model_index.json: key 'nope'"), e.getMessage());
    }

    @Test
    void savesByteIdenticalToWhatDiffusersWrote(@TempDir Path tmp) throws Exception {
        Path fixture = Fixtures.tinySd().resolve("model_index.json");
        ModelIndex mi = ModelIndex.load(fixture);
        Path out = tmp.resolve("model_index.json");
        mi.save(out);
        assertEquals(Files.readString(fixture), Files.readString(out));
        // built from scratch in another key order, it saves the same bytes
        ModelIndex built = ModelIndex.create("StableDiffusionPipeline", "0.30.3")
                .withComponent("vae", "diffusers", "AutoencoderKL")
                .withComponent("unet", "diffusers", "UNet2DConditionModel")
                .withComponent("tokenizer", "transformers", "CLIPTokenizer")
                .withComponent("text_encoder", "transformers", "CLIPTextModel")
                .withComponent("scheduler", "diffusers", "PNDMScheduler")
                .withComponent("safety_checker", null, null)
                .with("requires_safety_checker", new JsonPrimitive(false))
                .withComponent("image_encoder", null, null)
                .withComponent("feature_extractor", null, null);
        assertEquals(Files.readString(fixture), built.toJsonString());
    }

    @Test
    void keepsUnknownKeysAndWritesPythonEscapes() {
        ModelIndex mi = ModelIndex.parse("{\"_class_name\":[\"my_pipe\",\"MyPipeline\"],\"_name_or_path\":\"caf\u00e9\","
                + "\"_ignore_files\":[\"a\"],\"extra\":{\"b\":1.50,\"a\":[]},\"x\":\"tab\\tq\\\"\"}", "mem");
        assertEquals("MyPipeline", mi.className());
        assertEquals("my_pipe", mi.customPipeline());
        assertNull(mi.diffusersVersion());
        assertEquals("{\n  \"_class_name\": [\n    \"my_pipe\",\n    \"MyPipeline\"\n  ],\n"
                + "  \"_name_or_path\": \"caf\\u00e9\",\n  \"extra\": {\n    \"a\": [],\n    \"b\": 1.50\n  },\n"
                + "  \"x\": \"tab\\tq\\\"\"\n}\n", mi.toJsonString());
        assertTrue(mi.toJson().has("_ignore_files")); // kept in memory, dropped on save like diffusers
    }

    @Test
    void errorsNameTheFileAndTheKey() {
        String[][] cases = {
            {"{\"unet\":[\"diffusers\",\"UNet2DConditionModel\"]}", "key '_class_name' is missing"},
            {"{\"_class_name\":3}", "key '_class_name' must be"},
            {"{\"_class_name\":[\"a\"]}", "key '_class_name' must be"},
            {"{\"_class_name\":\"P\",\"_diffusers_version\":1}", "key '_diffusers_version' must be a string"},
            {"{\"_class_name\":\"P\",\"unet\":[\"diffusers\"]}", "key 'unet' must be [library, class]"},
            {"{\"_class_name\":\"P\",\"unet\":[\"diffusers\",null]}", "key 'unet' must be [library, class]"},
            {"{\"_class_name\":\"P\",\"unet\":[1,2]}", "key 'unet' must be"},
            {"{\"_class_name\":\"P\",\"unet\":[\"\",\"X\"]}", "key 'unet' must be"},
            {"{\"_class_name\":\"P\",\"../evil\":[\"diffusers\",\"X\"]}", "key '../evil' is not a valid component"},
            {"[1]", "expected a JSON object"},
            {"{", "invalid JSON"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelIndex.parse(c[0], "/x/model_index.json"), c[0]);
            assertTrue(e.getMessage().startsWith("/x/model_index.json: "), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), "expected '" + c[1] + "' in: " + e.getMessage());
        }
        ModelIndex mi = ModelIndex.parse("{\"_class_name\":\"P\",\"requires_safety_checker\":\"yes\"}", "f.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> mi.getBoolean("requires_safety_checker", true));
        assertEquals("f.json: key 'requires_safety_checker' must be true or false, got \"yes\"", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelIndex.load(Path.of("/nonexistent/folder")));
    }
}

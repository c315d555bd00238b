// Evidence for the README's component claims not covered by a parity test: CLIPTokenizerFast and skipped classes.
package io.diffusers4j.docs;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.pipelines.AbstractStableDiffusionPipeline;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loads the tiny-sd fixture (saved by diffusers) with model_index.json entries changed as real checkpoints have. */
class SupportedComponentsTest {

    @Test
    void clipTokenizerFastLoadsAsTheSameClipTokenizer(@TempDir Path dir) throws Exception {
        Path copy = copyFixture(dir);
        editIndex(copy, idx -> idx.add("tokenizer", pair("transformers", "CLIPTokenizerFast")));
        try (DiffusionPipeline fast = DiffusionPipeline.fromPretrained(copy.toString(), options());
             DiffusionPipeline slow = DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(), options())) {
            var a = ((AbstractStableDiffusionPipeline) fast).tokenizer();
            var b = ((AbstractStableDiffusionPipeline) slow).tokenizer();
            for (String p : List.of("a photo of an astronaut riding a horse on mars", "Hello, WORLD!!  café")) {
                assertArrayEquals(b.encode(p).inputIds()[0], a.encode(p).inputIds()[0], p);
            }
        }
    }

    @Test
    void safetyCheckerAndFeatureExtractorsAreRecognisedAndNotLoaded(@TempDir Path dir) throws Exception {
        Path copy = copyFixture(dir);
        editIndex(copy, idx -> {
            idx.add("safety_checker", pair("stable_diffusion", "StableDiffusionSafetyChecker"));
            idx.add("feature_extractor", pair("transformers", "CLIPImageProcessor"));
            idx.add("image_encoder", pair("transformers", "CLIPVisionModelWithProjection"));
        });
        // as in a real SD-1.5 checkpoint, whose folders exist but are not needed
        for (String f : List.of("safety_checker", "feature_extractor", "image_encoder")) {
            Files.createDirectories(copy.resolve(f));
        }
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(copy.toString(), options())) {
            Map<String, Object> c = p.components();
            assertNull(c.get("safety_checker"));
            assertNull(c.get("feature_extractor"));
            assertNull(c.get("image_encoder"));
            assertTrue(c.get("unet") != null && c.get("vae") != null);
        }
        // older checkpoints (e.g. CompVis/stable-diffusion-v1-4) name the deprecated CLIPFeatureExtractor
        editIndex(copy, idx -> idx.add("feature_extractor", pair("transformers", "CLIPFeatureExtractor")));
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(copy.toString(), options())) {
            assertNull(p.components().get("feature_extractor"));
        }
        assertEquals(List.of("CLIPFeatureExtractor", "CLIPImageProcessor", "CLIPVisionModelWithProjection",
                "StableDiffusionSafetyChecker"), DiffusionPipeline.skippedComponents());
    }

    @Test
    void unknownComponentClassesAreRefusedWithTheSupportedList(@TempDir Path dir) throws Exception {
        Path copy = copyFixture(dir);
        editIndex(copy, idx -> idx.add("text_encoder", pair("transformers", "BertModel")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(copy.toString(), options()));
        assertTrue(e.getMessage().contains("BertModel"), e.getMessage());
        for (String supported : DiffusionPipeline.supportedComponents()) {
            assertTrue(e.getMessage().contains(supported), e.getMessage());
        }
    }

    @Test
    void withProjectionIsRoutedToTheProjectionModel(@TempDir Path dir) throws Exception {
        // the fixture's text encoder has no text_projection weight: strict loading must ask for exactly that
        Path copy = copyFixture(dir);
        editIndex(copy, idx -> idx.add("text_encoder", pair("transformers", "CLIPTextModelWithProjection")));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> DiffusionPipeline.fromPretrained(copy.toString(), options()));
        assertTrue(e.getMessage().contains("text_projection"), e.getMessage());
        assertFalse(e.getMessage().contains("does not support"), e.getMessage());
    }

    private static PipelineOptions options() {
        return new PipelineOptions().dtype("float32").device(Device.cpu());
    }

    private static JsonArray pair(String library, String cls) {
        JsonArray a = new JsonArray();
        a.add(library);
        a.add(cls);
        return a;
    }

    private interface Edit {
        void apply(JsonObject index);
    }

    private static void editIndex(Path dir, Edit edit) throws IOException {
        Path f = dir.resolve("model_index.json");
        JsonObject idx = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
        edit.apply(idx);
        Files.writeString(f, idx.toString());
    }

    private static Path copyFixture(Path dir) throws IOException {
        Path src = Fixtures.tinySd();
        Path dst = dir.resolve("tiny-sd");
        try (Stream<Path> walk = Files.walk(src)) {
            for (Path p : walk.sorted(Comparator.naturalOrder()).toList()) {
                Path rel = src.relativize(p);
                if (rel.toString().startsWith("expected")) {
                    continue; // reference arrays are not part of the checkpoint
                }
                Path t = dst.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return dst;
    }
}

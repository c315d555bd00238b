// Broken and hostile pipeline folders at the DiffusionPipeline.fromPretrained level: one clear error naming file and key.
package io.diffusers4j.pipelines;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.testing.ModelCopies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each case edits a copy of the tiny-sd pipeline and asserts that {@link DiffusionPipeline#fromPretrained} AND the
 * weight-free {@link DiffusionPipeline#checkPretrained} (what the Spark job runs on the driver) fail with an
 * {@link IllegalArgumentException} whose one-line message names the file and the key (or the component), quickly,
 * without a StackOverflowError or an OutOfMemoryError.
 */
class HostileModelFolderTest {
    @TempDir
    Path tmp;
    private int copies;

    /** Flags set by the custom-pipeline test classes below (outside them, so reading a flag loads nothing). */
    static final AtomicBoolean NOT_A_PIPELINE_INITIALISED = new AtomicBoolean();

    private Path copy(String... editable) {
        return ModelCopies.tinySd(tmp.resolve("m" + copies++), editable);
    }

    /** Both entry points refuse {@code dir} with a message containing every fragment. */
    private static String refused(Path dir, String... fragments) {
        return refused(dir, new PipelineOptions(), fragments);
    }

    private static String refused(Path dir, PipelineOptions o, String... fragments) {
        return FolderRefusals.refused(dir, o, fragments);
    }

    private static void json(Path file, Consumer<JsonObject> edit) {
        ModelCopies.editJson(file, edit);
    }

    @Test
    void theUntouchedCopyLoads() {
        Path ok = copy("unet");
        DiffusionPipeline.checkPretrained(ok, null);
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(ok.toString(), new PipelineOptions())) {
            assertInstanceOf(StableDiffusionPipeline.class, p);
        }
    }

    @Test
    void unknownPipelineAndComponentClassesNameTheSupportedOnes() {
        Path p = copy();
        json(p.resolve("model_index.json"), o -> o.addProperty("_class_name", "StableDiffusionControlNetPipeline"));
        refused(p, p.resolve("model_index.json").toString(), "'_class_name'", "StableDiffusionControlNetPipeline",
                "supported:",
                "StableDiffusionInpaintPipeline");

        Path c = copy();
        json(c.resolve("model_index.json"), o -> o.add("unet", pair("diffusers", "UNet3DConditionModel")));
        refused(c, c.resolve("model_index.json").toString(), "key 'unet'", "diffusers.UNet3DConditionModel",
                "supported:", "UNet2DConditionModel", "AutoencoderKL");

        Path s = copy("scheduler");
        json(s.resolve("scheduler/scheduler_config.json"), o -> o.addProperty("_class_name", "FooScheduler"));
        refused(s, s.resolve("scheduler/scheduler_config.json").toString(), "'_class_name'", "FooScheduler",
                "EulerDiscreteScheduler");
    }

    @Test
    void missingKeysFilesAndFolders() {
        Path a = copy();
        json(a.resolve("model_index.json"), o -> o.remove("_class_name"));
        refused(a, a.resolve("model_index.json").toString(), "key '_class_name' is missing");

        Path b = copy();
        json(b.resolve("model_index.json"), o -> o.add("controlnet", pair("diffusers", "ControlNetModel")));
        refused(b, "'controlnet'", "ControlNetModel", b.resolve("controlnet").toString());

        Path c = copy("unet");
        assertTrue(c.resolve("unet/config.json").toFile().delete());
        refused(c, c.resolve("unet/config.json").toString());

        Path d = copy("tokenizer");
        assertTrue(d.resolve("tokenizer/vocab.json").toFile().delete());
        refused(d, d.resolve("tokenizer").toString(), "vocab.json");

        Path e = copy();
        assertTrue(e.resolve("model_index.json").toFile().delete());
        refused(e, "model_index.json");
    }

    @Test
    void wrongTypesNameTheFileAndTheKey() throws Exception {
        Object[][] cases = {
            {"unet/config.json", "in_channels", new JsonPrimitive("four"), "\"four\""},
            {"unet/config.json", "layers_per_block", JsonNull.INSTANCE, "null"},
            {"unet/config.json", "in_channels", JsonNull.INSTANCE, "is null"},
            {"unet/config.json", "norm_num_groups", new JsonObject(), "{}"},
            {"unet/config.json", "block_out_channels", new JsonArray(), "block_out_channels"},
            {"vae/config.json", "latent_channels", new JsonPrimitive(2.5), "2.5"},
            {"text_encoder/config.json", "hidden_size", new JsonPrimitive(true), "true"},
            {"scheduler/scheduler_config.json", "num_train_timesteps", new JsonPrimitive("many"), "\"many\""},
            // what Gson alone would silently convert: 2.5 -> 2, "4" -> 4, "yes" -> false
            {"vae/config.json", "latent_channels", new JsonPrimitive(4.5), "not an integer"},
            {"unet/config.json", "in_channels", new JsonPrimitive("4"), "not an integer"},
            {"unet/config.json", "center_input_sample", new JsonPrimitive("yes"), "not true or false"},
            {"unet/config.json", "block_out_channels", intList(32, 64.5), "not a list of integers"},
            {"scheduler/scheduler_config.json", "beta_start", new JsonPrimitive("0.00085"), "not a number"},
            {"scheduler/scheduler_config.json", "beta_schedule", new JsonPrimitive(1), "not a string"},
        };
        for (Object[] c : cases) {
            String file = (String) c[0];
            String key = (String) c[1];
            Path p = copy(file.substring(0, file.indexOf('/')));
            json(p.resolve(file), o -> o.add(key, (JsonElement) c[2]));
            refused(p, p.resolve(file).toString(), key, (String) c[3]);
        }
        Path m = copy();
        json(m.resolve("model_index.json"), o -> o.add("unet", pair("diffusers", null)));
        refused(m, m.resolve("model_index.json").toString(), "key 'unet'", "[library, class]");
        // an integral number written as 4.0 is still that integer (no correction needed)
        Path f = copy("unet");
        json(f.resolve("unet/config.json"), o -> o.addProperty("in_channels", 4.0));
        DiffusionPipeline.checkPretrained(f, null);
        Path n = copy();
        json(n.resolve("model_index.json"), o -> o.addProperty("requires_safety_checker", "yes"));
        // read by the pipeline only when it matters; the index itself stays loadable
        DiffusionPipeline.checkPretrained(n, null);
    }

    @Test
    void notJsonNotAnObjectHugeAndDeeplyNestedFiles() throws Exception {
        Path a = copy("unet");
        Files.writeString(a.resolve("unet/config.json"), "{\"in_channels\": 4,");
        refused(a, a.resolve("unet/config.json").toString(), "JSON");

        Path b = copy("vae");
        Files.writeString(b.resolve("vae/config.json"), "[1, 2, 3]");
        refused(b, b.resolve("vae/config.json").toString(), "JSON object");

        Path c = copy("unet");
        String deep = "{\"in_channels\": 4, \"x\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        Files.writeString(c.resolve("unet/config.json"), deep);
        refused(c, c.resolve("unet/config.json").toString(), "nested");

        Path d = copy();
        Files.writeString(d.resolve("model_index.json"), "{\"_class_name\": \"StableDiffusionPipeline\", \"x\": "
                + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000) + "}");
        refused(d, d.resolve("model_index.json").toString(), "nested");

        Path e = copy("text_encoder");
        byte[] pad = new byte[5 << 20];
        Arrays.fill(pad, (byte) ' ');
        Files.write(e.resolve("text_encoder/config.json"), concat("{".getBytes(StandardCharsets.UTF_8), pad,
                "}".getBytes(StandardCharsets.UTF_8)));
        refused(e, e.resolve("text_encoder/config.json").toString(), "bytes");
    }

    @Test
    void brokenTokenizerFilesNameTheFile() throws Exception {
        String[][] cases = {
            {"vocab.json", "[1, 2]", "JSON object"},
            {"vocab.json", "{\"a</w>\": \"zero\"}", "vocab.json"},
            {"vocab.json", "{\"x\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}", "nested"},
            {"vocab.json", "{\"a</w>\": 0, ", "JSON"},
            {"tokenizer_config.json", "padding_side={}", "padding_side"},
            {"tokenizer_config.json", "model_max_length=\"lots\"", "model_max_length"},
            {"tokenizer_config.json", "model_max_length=-5", "model_max_length"},
            {"tokenizer_config.json", "added_tokens_decoder={\"x\": {\"content\": 5}}", "added_tokens_decoder"},
            {"tokenizer_config.json", "added_tokens_decoder={\"49406\": {\"content\": 5}}", "\"content\""},
            {"tokenizer_config.json", "added_tokens_decoder={\"49406\": {\"content\": \"x\", \"lstrip\": 1}}",
                "lstrip"},
            {"tokenizer_config.json", "bos_token=[1]", "bos_token"},
        };
        for (String[] c : cases) {
            Path p = copy("tokenizer");
            Path file = p.resolve("tokenizer").resolve(c[0]);
            if (c[0].equals("tokenizer_config.json")) { // one key edited, the rest of the real file kept
                String key = c[1].substring(0, c[1].indexOf('='));
                JsonElement v = JsonParser.parseString(c[1].substring(key.length() + 1));
                json(file, o -> o.add(key, v));
            } else {
                Files.writeString(file, c[1]);
            }
            IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(
                    IllegalArgumentException.class, () -> DiffusionPipeline.fromPretrained(p.toString(),
                            new PipelineOptions()).close(), c[0] + " " + c[1].substring(0, Math.min(60, c[1].length()))));
            assertTrue(e.getMessage().contains(p.resolve("tokenizer").toString()) && e.getMessage().contains(c[2]),
                    c[0] + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        Path big = copy("tokenizer");
        byte[] pad = new byte[80 << 20];
        Arrays.fill(pad, (byte) ' ');
        Files.write(big.resolve("tokenizer/vocab.json"), concat("{".getBytes(StandardCharsets.UTF_8), pad,
                "}".getBytes(StandardCharsets.UTF_8)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(big.toString(), new PipelineOptions()).close());
        assertTrue(e.getMessage().contains("vocab.json") && e.getMessage().contains("bytes"), e.getMessage());
    }

    @Test
    void pickleWeightsAreNeverUnpickled() throws Exception {
        Path p = copy("unet");
        Files.delete(p.resolve("unet/diffusion_pytorch_model.safetensors"));
        // a pickle whose loading would run code (GLOBAL os.system + REDUCE): it must not even be opened
        Files.write(p.resolve("unet/diffusion_pytorch_model.bin"), new byte[] {(byte) 0x80, 2, 'c', 'o', 's', '\n',
            's', 'y', 's', 't', 'e', 'm', '\n', '(', 'X', 2, 0, 0, 0, 'i', 'd', 't', 'R', '.'});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(p.toString(), new PipelineOptions()).close());
        assertTrue(e.getMessage().contains("diffusion_pytorch_model.bin") && e.getMessage().contains("never unpickled")
                && e.getMessage().contains("safetensors"), e.getMessage());
        Path ckpt = copy("vae");
        Files.delete(ckpt.resolve("vae/diffusion_pytorch_model.safetensors"));
        Files.write(ckpt.resolve("vae/model.ckpt"), new byte[] {(byte) 0x80, 2, '.'});
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(ckpt.toString(), new PipelineOptions()).close());
        assertTrue(c.getMessage().contains("model.ckpt") && c.getMessage().contains("never unpickled"),
                c.getMessage());
        // asking for pickles explicitly is refused too
        IllegalArgumentException u = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(copy().toString(), new PipelineOptions().useSafetensors(false))
                        .close());
        assertTrue(u.getMessage().contains("never unpickled"), u.getMessage());
    }

    @Test
    void customPipelinesAreOnlyClassesOnTheClasspath() {
        // custom code named by the model repo itself (diffusers' [module, class]) is never run
        Path repoCode = copy();
        json(repoCode.resolve("model_index.json"), o -> o.add("_class_name", pair("pipeline_evil", "EvilPipeline")));
        refused(repoCode, repoCode.resolve("model_index.json").toString(), "never runs code",
                "pipeline_evil", "on the classpath");
        // Hub ids, URLs and file paths are not class names: nothing is fetched or compiled
        for (String notAClass : new String[] {"hf-internal-testing/diffusers-dummy-pipeline",
            "https://example.invalid/pipeline.py", tmp.resolve("evil.py").toString(), "lpw_stable_diffusion"}) {
            refused(copy(), new PipelineOptions().customPipeline(notAClass), notAClass, "not on the classpath",
                    "never code fetched");
        }
        // a class on the classpath that is not a pipeline is refused before its static initialiser runs
        refused(copy(), new PipelineOptions().customPipeline(NotAPipeline.class.getName()),
                "does not extend DiffusionPipeline");
        assertFalse(NOT_A_PIPELINE_INITIALISED.get(), "the refused class was not initialised");
        // a real custom pipeline class on the classpath gets the loaded components
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(copy().toString(),
                new PipelineOptions().customPipeline(ClasspathPipeline.class.getName()))) {
            ClasspathPipeline custom = assertInstanceOf(ClasspathPipeline.class, p);
            assertTrue(custom.components().keySet().containsAll(List.of("unet", "vae", "text_encoder",
                    "tokenizer", "scheduler")), custom.components().keySet().toString());
        }
    }

    private static JsonArray pair(String a, String b) {
        JsonArray arr = new JsonArray();
        arr.add(a == null ? JsonNull.INSTANCE : new JsonPrimitive(a));
        arr.add(b == null ? JsonNull.INSTANCE : new JsonPrimitive(b));
        return arr;
    }

    private static JsonArray intList(Number... xs) {
        JsonArray a = new JsonArray();
        for (Number x : xs) {
            a.add(x);
        }
        return a;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Not a pipeline; its static initialiser must never run when it is named as a custom pipeline. */
    static final class NotAPipeline {
        static {
            NOT_A_PIPELINE_INITIALISED.set(true);
        }

        private NotAPipeline() {
        }
    }
}

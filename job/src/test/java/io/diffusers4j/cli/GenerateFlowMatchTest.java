// `diffusers4j generate` on the tiny Stable Diffusion 3 / FLUX checkpoints: resolved values in the PNGs, refusals.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs Main in-process on {@code reference-flow/tiny-sd3} and {@code tiny-flux}: the PNG text records the steps,
 * guidance and {@code max_sequence_length} the pipeline resolved (SD3 28 / 7.0 / 256, FLUX.1-schnell style 4 / 0.0 /
 * 256) and the T5 prompt; {@code --without-component} runs SD3 without T5 as the library does; bad flags are one
 * line and exit 2, before any weight loads (checked on copies whose transformer weights are not a safetensors file).
 */
class GenerateFlowMatchTest {
    @TempDir
    Path dir;

    private static Path sd3() {
        return Fixtures.referenceFlow().resolve("tiny-sd3");
    }

    private static Path flux() {
        return Fixtures.referenceFlow().resolve("tiny-flux");
    }

    /** Runs {@code diffusers4j args...}; returns [exit code, the stderr lines that are not log lines]. */
    private static Object[] cli(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = Main.run(args);
        } finally {
            System.setErr(old);
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d.*")).toList();
        return new Object[] {code, lines};
    }

    /** generate with {@code args} after the model and an output folder; asserts exit 0 and returns 000.png. */
    private Png.Decoded render(Path model, String... args) {
        Path out = dir.resolve("out" + System.nanoTime());
        List<String> all = new ArrayList<>(List.of("generate", "--model", model.toString(), "--output",
                out.toString(), "--no-progress"));
        all.addAll(List.of(args));
        Object[] r = cli(all.toArray(new String[0]));
        assertEquals(0, r[0], String.valueOf(r[1]));
        try {
            return Png.read(out.resolve("000.png"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** generate with {@code args}: exit 2, exactly one line {@code diffusers4j generate: error: ...}, no output. */
    @SuppressWarnings("unchecked")
    private String refused(Path model, String... args) {
        Path out = dir.resolve("refused" + System.nanoTime());
        List<String> all = new ArrayList<>(List.of("generate", "--model", model.toString(), "--prompt", "a cat",
                "--output", out.toString(), "--no-progress"));
        all.addAll(List.of(args));
        Object[] r = cli(all.toArray(new String[0]));
        List<String> lines = (List<String>) r[1];
        assertEquals(2, r[0], lines.toString());
        assertEquals(1, lines.size(), "one line: " + lines);
        assertTrue(lines.get(0).startsWith("diffusers4j generate: error: "), lines.get(0));
        assertFalse(Files.exists(out), "nothing written");
        return lines.get(0);
    }

    /**
     * A copy of {@code model} (configs and other components linked) whose transformer weights are not a safetensors
     * file: a refusal on it is made before any weight loads, since loading would fail on that file first.
     */
    private Path withUnreadableWeights(Path model) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("poisoned-" + model.getFileName()));
        try (Stream<Path> entries = Files.list(model)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.equals("transformer")) {
                    Path t = Files.createDirectories(copy.resolve(name));
                    Files.copy(p.resolve("config.json"), t.resolve("config.json"));
                    Files.writeString(t.resolve("diffusion_pytorch_model.safetensors"), "not a safetensors file");
                } else if (Files.isDirectory(p)) {
                    Files.createSymbolicLink(copy.resolve(name), p.toAbsolutePath());
                } else {
                    Files.copy(p, copy.resolve(name));
                }
            }
        }
        return copy;
    }

    @Test
    void sd3PngsRecordTheResolvedDefaultsAndTheT5Prompt() {
        Map<String, String> text = render(sd3(), "--prompt", "a lighthouse", "--prompt-3",
                "a lighthouse at dusk, oil painting", "--seed", "3").text();
        GenerationMetadata m = GenerationMetadata.fromPngText(text);
        assertEquals(28, m.steps(), "StableDiffusion3Pipeline's num_inference_steps");
        assertEquals(7.0, m.guidanceScale());
        assertEquals("256", text.get("max_sequence_length"));
        assertEquals("a lighthouse at dusk, oil painting", text.get("prompt_3"));
        assertEquals(List.of(32, 32), List.of(m.width(), m.height()), "sample_size 16 * vae_scale_factor 2");

        Map<String, String> set = render(sd3(), "--prompt", "a lighthouse", "--seed", "3", "--steps", "2",
                "--guidance-scale", "4.5", "--max-sequence-length", "32").text();
        GenerationMetadata s = GenerationMetadata.fromPngText(set);
        assertEquals(List.of(2, 4.5), List.of(s.steps(), s.guidanceScale()));
        assertEquals("32", set.get("max_sequence_length"));
        assertNull(set.get("prompt_3"), "no --prompt-3: none recorded");
    }

    @Test
    void fluxPngsRecordTheSchnellDefaults() {
        Map<String, String> text = render(flux(), "--prompt", "a red car", "--seed", "1", "--height", "64",
                "--width", "64").text();
        GenerationMetadata m = GenerationMetadata.fromPngText(text);
        assertEquals(4, m.steps(), "no guidance embedding: FLUX.1-schnell's 4 steps");
        assertEquals(0.0, m.guidanceScale());
        assertEquals("256", text.get("max_sequence_length"));
        assertEquals(List.of(64, 64), List.of(m.width(), m.height()));

        Map<String, String> set = render(flux(), "--prompt", "a red car", "--seed", "1", "--height", "64",
                "--width", "64", "--steps", "2", "--max-sequence-length", "64").text();
        assertEquals("64", set.get("max_sequence_length"));
        assertEquals(2, GenerationMetadata.fromPngText(set).steps());
    }

    @Test
    void withoutT5IsTheLibrarysPipelineWithoutThoseComponents() throws Exception {
        Path npy = dir.resolve("no-t5.npy");
        Object[] r = cli("generate", "--model", sd3().toString(), "--without-component", "text_encoder_3",
                "--without-component", "tokenizer_3", "--prompt", "a red car in the rain", "--seed", "1",
                "--steps", "2", "--output-type", "np", "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], String.valueOf(r[1]));
        Npy.Array ours = Npy.read(npy);
        PipelineOptions without = new PipelineOptions().component("text_encoder_3", PipelineOptions.NONE)
                .component("tokenizer_3", PipelineOptions.NONE);
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(sd3().toString(), without)) {
            ImagePipelineOutput lib = (ImagePipelineOutput) pipe.call(new PipelineCall()
                    .prompt("a red car in the rain").seed(1L).numInferenceSteps(2).outputType("np"));
            assertArrayEquals(lib.shape(), ours.shape());
            double diff = ReferenceCase.maxAbsDiff(lib.data(), ours.floats());
            assertTrue(diff <= 1e-6, "max |diff| " + diff);
        }
        // and it is not the image with T5
        Path withT5 = dir.resolve("t5.npy");
        assertEquals(0, cli("generate", "--model", sd3().toString(), "--prompt", "a red car in the rain", "--seed",
                "1", "--steps", "2", "--output-type", "np", "--output", withT5.toString(), "--no-progress")[0]);
        assertTrue(ReferenceCase.maxAbsDiff(Npy.read(withT5).floats(), ours.floats()) > 1e-3);
    }

    @Test
    void aComponentModelIndexDoesNotListIsOneLine() throws Exception {
        String line = refused(withUnreadableWeights(sd3()), "--without-component", "nope");
        assertTrue(line.contains("model_index.json has no component 'nope' to leave out (its components: "), line);
        assertTrue(line.contains("text_encoder_3"), line);
    }

    @Test
    void aMaxSequenceLengthOutOfRangeIsOneLineBeforeAnyWeightLoads() throws Exception {
        Path model = withUnreadableWeights(sd3());
        assertTrue(refused(model, "--max-sequence-length", "513").endsWith(
                "`max_sequence_length` cannot be greater than 512 but is 513"));
        assertTrue(refused(model, "--max-sequence-length", "99999999").endsWith(
                "`max_sequence_length` cannot be greater than 512 but is 99999999"));
        assertTrue(refused(model, "--max-sequence-length", "0").endsWith("max_sequence_length must be >= 1, got 0"));
        // the copy's weights are what a load would trip on
        Object[] loads = cli("generate", "--model", model.toString(), "--prompt", "a cat", "--steps", "1",
                "--output", dir.resolve("loads").toString(), "--no-progress");
        assertTrue(String.valueOf(loads[1]).contains("safetensors"), String.valueOf(loads[1]));
    }

    @Test
    void aNegativePromptOnFluxIsThePipelinesRefusal() throws Exception {
        String line = refused(withUnreadableWeights(flux()), "--negative-prompt", "blurry");
        assertTrue(line.contains("FluxPipeline does not take negative_prompt"), line);
    }

    @Test
    void schedulerNamesResolveInTheFlowMatchingFamily() throws Exception {
        String line = refused(withUnreadableWeights(sd3()), "--scheduler", "DPM++ 2M");
        assertTrue(line.contains("scheduler 'DPM++ 2M' is not supported on this flow-matching checkpoint: "
                + "DPMSolverMultistepScheduler is not a flow-matching scheduler"), line);

        // on a flow-matching checkpoint the web UI's Euler is FlowMatchEulerDiscreteScheduler: SD3's own scheduler
        Png.Decoded euler = render(sd3(), "--prompt", "a lighthouse", "--seed", "3", "--steps", "2", "--scheduler",
                "Euler");
        Png.Decoded own = render(sd3(), "--prompt", "a lighthouse", "--seed", "3", "--steps", "2");
        assertEquals("Euler", euler.text().get(GenerationMetadata.SCHEDULER));
        assertEquals("FlowMatchEulerDiscreteScheduler", own.text().get(GenerationMetadata.SCHEDULER));
        assertArrayEquals(pixels(own.image()), pixels(euler.image()));
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}

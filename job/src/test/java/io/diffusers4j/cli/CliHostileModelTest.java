// The command line on broken or hostile model folders: exit code 2, one line naming the file and key, nothing written.
package io.diffusers4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.job.JobMain;
import io.diffusers4j.testing.ModelCopies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code diffusers4j generate} and {@code diffusers4j job} with a model folder that is broken or hostile: the user
 * sees exactly one line on stderr ({@code diffusers4j generate: error: <file>: key '<key>' ...}), exit code 2, and
 * no output. The job refuses on the driver, before Spark starts and before any task fails on an executor.
 */
class CliHostileModelTest {
    @TempDir
    Path tmp;
    private int copies;

    private Path broken(String component, Consumer<Path> edit) {
        Path m = component == null ? ModelCopies.tinySd(tmp.resolve("m" + copies++))
                : ModelCopies.tinySd(tmp.resolve("m" + copies++), component);
        edit.accept(m);
        return m;
    }

    private static JsonArray pair(String a, String b) {
        JsonArray arr = new JsonArray();
        arr.add(new JsonPrimitive(a));
        arr.add(new JsonPrimitive(b));
        return arr;
    }

    /** Runs {@code diffusers4j args...}; returns [exit code, the non-log stderr lines joined]. */
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
                .filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d.*")).toList(); // log lines, if any reach System.err
        return new Object[] {code, lines};
    }

    @SuppressWarnings("unchecked")
    private String generateRefuses(Path model, String... fragments) {
        Path out = tmp.resolve("out" + copies);
        Object[] r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> cli("generate", "--model",
                model.toString(), "--prompt", "a cat", "--steps", "1", "--no-progress", "--output", out.toString()));
        List<String> lines = (List<String>) r[1];
        assertEquals(2, r[0], lines.toString());
        assertEquals(1, lines.size(), "one line: " + lines);
        String line = lines.get(0);
        assertTrue(line.startsWith("diffusers4j generate: error: "), line);
        for (String f : fragments) {
            assertTrue(line.contains(f), "expected '" + f + "' in: " + line);
        }
        assertFalse(Files.exists(out), "nothing written");
        return line;
    }

    @Test
    void generateGivesOneLineAndExitCode2() throws Exception {
        Path cls = broken(null, m -> ModelCopies.editJson(m.resolve("model_index.json"),
                o -> o.add("unet", pair("diffusers", "UNet3DConditionModel"))));
        generateRefuses(cls, cls.resolve("model_index.json").toString(), "key 'unet'", "UNet3DConditionModel",
                "supported:");

        Path type = broken("unet", m -> ModelCopies.editJson(m.resolve("unet/config.json"),
                o -> o.addProperty("in_channels", "four")));
        generateRefuses(type, type.resolve("unet/config.json").toString(), "key 'in_channels'", "\"four\"");

        Path deep = broken("vae", m -> write(m.resolve("vae/config.json"),
                "{\"x\": " + "[".repeat(20_000) + "]".repeat(20_000) + "}"));
        generateRefuses(deep, deep.resolve("vae/config.json").toString(), "nested");

        Path pickle = broken("unet", m -> {
            try {
                Files.delete(m.resolve("unet/diffusion_pytorch_model.safetensors"));
                Files.write(m.resolve("unet/diffusion_pytorch_model.bin"), new byte[] {(byte) 0x80, 2, '.'});
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        generateRefuses(pickle, "diffusion_pytorch_model.bin", "never unpickled", "safetensors");

        Path code = broken(null, m -> ModelCopies.editJson(m.resolve("model_index.json"),
                o -> o.add("_class_name", pair("pipeline_evil", "EvilPipeline"))));
        generateRefuses(code, "never runs code", "pipeline_evil");

        generateRefuses(tmp.resolve("no/such/folder"), "not a local folder and not a valid Hub repo id");
    }

    @Test
    void theJobRefusesABrokenModelBeforeSparkStarts() throws Exception {
        Path model = broken("unet", m -> ModelCopies.editJson(m.resolve("unet/config.json"),
                o -> o.addProperty("cross_attention_dim", 12.5)));
        jobRefuses(model, "unet/config.json", "key 'cross_attention_dim'", "12.5");
    }

    /**
     * Issue 19, items 5 to 7, through the command line. Before: generate ran the heap out ({@code
     * num_train_timesteps} 1e9), said "Illegal Capacity: -2" without file or key ({@code layers_per_block} -2),
     * blocked forever on a FIFO, and quoted /etc/passwd ("root") when config.json linked to it.
     */
    @Test
    void hostileSizesSignsAndFilesGiveOneLineAndExitCode2() throws Exception {
        Path sizes = broken("scheduler", m -> ModelCopies.editJson(m.resolve("scheduler/scheduler_config.json"),
                o -> o.addProperty("num_train_timesteps", 1_000_000_000)));
        generateRefuses(sizes, sizes.resolve("scheduler/scheduler_config.json") + ": key 'num_train_timesteps' is "
                + "1000000000, more than the 100000 allowed");

        Path layers = broken("unet", m -> ModelCopies.editJson(m.resolve("unet/config.json"),
                o -> o.addProperty("layers_per_block", -2)));
        generateRefuses(layers, layers.resolve("unet/config.json") + ": key 'layers_per_block' is -2");

        Path fifo = broken("unet", m -> ModelCopies.replaceWithFifo(m.resolve("unet/config.json")));
        generateRefuses(fifo, fifo.resolve("unet/config.json") + ": config file is not a regular file");

        Path passwd = broken("text_encoder", m -> ModelCopies.replaceWithLink(m.resolve("text_encoder/config.json"),
                Path.of("/etc/passwd")));
        String first = Files.readString(Path.of("/etc/passwd")).split(":")[0];
        String line = generateRefuses(passwd, passwd.resolve("text_encoder/config.json").toString(),
                "outside its folder");
        assertFalse(line.contains("\"" + first + "\"") || line.contains(first + ":"), line);
    }

    /** Item 7: negative sizes passed the driver check and failed every task with 56 lines of Spark traces. */
    @Test
    void theJobRefusesNegativeSizesAndFifosBeforeSparkStarts() throws Exception {
        Path layers = broken("unet", m -> ModelCopies.editJson(m.resolve("unet/config.json"),
                o -> o.addProperty("layers_per_block", -2)));
        jobRefuses(layers, "unet/config.json", "key 'layers_per_block'", "-2");
        Path groups = broken("vae", m -> ModelCopies.editJson(m.resolve("vae/config.json"),
                o -> o.addProperty("norm_num_groups", 0)));
        jobRefuses(groups, "vae/config.json", "key 'norm_num_groups'", "0");
        Path fifo = broken("unet", m -> ModelCopies.replaceWithFifo(m.resolve("unet/config.json")));
        jobRefuses(fifo, "unet/config.json", "not a regular file");
    }

    /** {@code diffusers4j job} refuses {@code model} on the driver: exit 2, the error first, before Spark starts. */
    private void jobRefuses(Path model, String file, String... fragments) throws Exception {
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, "a cat\n");
        Path out = tmp.resolve("job-out" + copies);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> JobMain.run(new String[] {"--prompts",
            prompts.toString(), "--output", out.toString(), "--model", model.toString()},
                new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8)));
        String err = stderr.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, err);
        String first = err.lines().findFirst().orElse("");
        assertTrue(first.startsWith("diffusers4j job: error: " + model.resolve(file)), first);
        for (String f : fragments) {
            assertTrue(first.contains(f), "expected '" + f + "' in: " + first);
        }
        assertFalse(Files.exists(out));
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused before starting Spark");
        assertEquals(1, err.lines().count(), err); // one line
    }

    private static void write(Path p, String text) {
        try {
            Files.writeString(p, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

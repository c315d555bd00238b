// The benchmark's contract: its options, and the JSON keys one (tiny, fast) run reports.
package io.diffusers4j.bench;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.cli.UsageException;
import io.diffusers4j.models.nn.Bf16Support;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BenchCommandTest {
    /** The options a bench command line parses to (picocli, then the command's checks). */
    private static BenchOptions options(String... args) {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs(args);
        return command.options();
    }

    @Test
    void optionsDefaultToTheSd15TargetsAndRefuseBadValues() {
        BenchOptions o = options();
        assertEquals("sd15", o.preset());
        assertEquals(256, o.height());
        assertEquals(256, o.width());
        assertEquals(1, o.batch());
        assertEquals("float32", o.dtype());
        assertEquals("cpu", o.device());
        assertTrue(assertThrows(UsageException.class, () -> options("--dtype", "bfloat8"))
                .getMessage().contains("float32, float16 or bfloat16"));
        assertTrue(assertThrows(UsageException.class, () -> options("--dtype", "bfloat16", "--device", "gpu"))
                .getMessage().contains("on CUDA use float16"));
        assertThrows(UsageException.class, () -> options("--dtype", "bfloat16", "--job", "4"));
        assertThrows(UsageException.class, () -> options("--model", "x", "--preset", "sd15"));
        assertThrows(UsageException.class, () -> options("--in-memory", "--job", "4"));
        assertThrows(UsageException.class, () -> options("--attention", "flash"));
        assertThrows(UsageException.class, () -> options("--steps", "0"));
    }

    @Test
    void flowPresetsAreBuiltInMemoryWithTheirBlockCounts() {
        BenchOptions sd3 = options("--preset", "sd3-medium-shape");
        assertTrue(sd3.flowPreset() && sd3.inMemory());
        assertEquals(24, sd3.layers());
        assertEquals(4, options("--preset", "sd3-medium-shape", "--layers", "4", "--in-memory").layers());
        BenchOptions flux = options("--preset", "flux-schnell-shape", "--height", "512", "--width", "256");
        assertTrue(flux.flowPreset() && flux.inMemory());
        assertEquals(1, flux.layers());
        assertEquals(19, options("--preset", "flux-schnell-shape", "--layers", "19").layers());
        assertEquals(0, options("--preset", "sd15").layers());
        assertTrue(!options("--preset", "sd15").flowPreset());
    }

    @Test
    void flowPresetsRefuseWhatTheyCannotRun() {
        String sd3 = "sd3-medium-shape";
        String flux = "flux-schnell-shape";
        assertTrue(refusal("--preset", "sd3").contains("sd15, tiny, sd3-medium-shape, flux-schnell-shape"));
        assertTrue(refusal("--preset", sd3, "--layers", "1").contains("context_pre_only"));
        assertTrue(refusal("--preset", sd3, "--layers", "25").contains("[2, 24]"));
        assertTrue(refusal("--preset", flux, "--layers", "20").contains("[1, 19]"));
        assertTrue(refusal("--preset", flux, "--layers", "0").contains("[1, 19]"));
        assertTrue(refusal("--preset", "sd15", "--layers", "2").contains("--layers applies to"));
        assertTrue(refusal("--model", "x", "--layers", "2").contains("--layers applies to"));
        assertTrue(refusal("--preset", "tiny", "--in-memory").contains("--in-memory applies to"));
        assertTrue(refusal("--model", "x", "--in-memory").contains("not to --model"));
        for (String[] sd15Only : new String[][] {{"--job", "4"}, {"--random-lora", "4"}, {"--few-step"},
            {"--compare-attention"}, {"--attention", "dense"}}) {
            String[] args = new String[sd15Only.length + 2];
            args[0] = "--preset";
            args[1] = flux;
            System.arraycopy(sd15Only, 0, args, 2, sd15Only.length);
            assertTrue(refusal(args).contains("times the stages only"), String.join(" ", args));
        }
        assertTrue(refusal("--preset", sd3, "--height", "264").contains("multiples of 16"));
        assertTrue(refusal("--preset", flux, "--width", "4096").contains("up to 2048"));
        assertTrue(refusal("--preset", sd3, "--batch", "17").contains("at most 16"));
        assertTrue(refusal("--preset", sd3, "--steps", "0").contains(">= 1"));
    }

    @Test
    void scalingStudyOptionsAreBoundedAndExclusive() {
        BenchOptions o = options("--scaling");
        assertTrue(o.scaling());
        assertEquals(List.of(1, 2, 4, 8), o.scalingBatches());
        assertEquals(List.of(1, 2, 4), o.scalingSlots());
        assertEquals(16, o.job());
        BenchOptions some = options("--scaling", "--batches", "2,4", "--slots", "2", "--job", "8");
        assertEquals(List.of(2, 4), some.scalingBatches());
        assertEquals(List.of(2), some.scalingSlots());
        assertEquals(8, some.job());
        assertTrue(!options().scaling());
        assertTrue(!options("--model", "some/dir").flowPreset()); // no preset: not a flow preset (was an NPE)
        assertTrue(options("--scaling", "--dtype", "float32").scaling());
        assertTrue(refusal("--scaling", "--batches", "0").contains("[1, 64]"));
        assertTrue(refusal("--scaling", "--batches", "65").contains("[1, 64]"));
        assertTrue(refusal("--scaling", "--slots", "1,100").contains("[1, 64]"));
        assertTrue(refusal("--scaling", "--in-memory").contains("run of its own"));
        assertTrue(refusal("--scaling", "--few-step").contains("run of its own"));
        assertTrue(refusal("--preset", "sd3-medium-shape", "--scaling").contains("--job / --scaling"));
    }

    private static String refusal(String... args) {
        return assertThrows(UsageException.class, () -> options(args)).getMessage();
    }

    @Test
    void oneRunReportsEveryFigureAsJson() throws Exception {
        BenchOptions o = options("--preset", "tiny", "--height", "64", "--width", "64",
            "--steps", "2", "--runs", "1", "--json");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BenchReport r = Benchmark.run(o, new PrintStream(log, true, StandardCharsets.UTF_8));
        JsonObject json = JsonParser.parseString(r.json()).getAsJsonObject();
        for (String key : List.of("unet_step_ms", "image_ms", "images_per_s", "reference_gflops", "unet_gflops",
                "unet_fraction_of_reference", "load_ms", "weights_read_ms", "peak_rss_mb", "weights_mb",
                "tokenize_ms", "text_encoder_ms", "scheduler_step_ms", "vae_decode_ms", "png_encode_ms")) {
            assertTrue(json.has(key), key + " missing from " + json);
            double v = json.get(key).getAsDouble();
            assertTrue(v > 0 && Double.isFinite(v), key + " = " + v);
        }
        for (String key : List.of("allocator", "dtype", "device")) {
            assertTrue(json.has(key) && !json.get(key).getAsString().isEmpty(), key);
        }
        assertTrue(json.get("threads").getAsInt() >= 1);
        assertEquals("float32", json.get("dtype").getAsString());
        // the op split accounts for the profiled call: the classes' shares add up to (about) 1
        JsonObject split = json.getAsJsonObject("unet_op_split");
        double shares = 0;
        for (String op : split.keySet()) {
            shares += split.getAsJsonObject(op).get("share").getAsDouble();
        }
        assertTrue(Math.abs(shares - 1) < 0.02, "shares sum to " + shares);
        assertTrue(split.getAsJsonObject("convolution").get("calls").getAsLong() > 0);
        // images/s and image time describe the same call
        assertEquals(1000.0 / json.get("image_ms").getAsDouble(), json.get("images_per_s").getAsDouble(), 1e-2);
        assertTrue(r.text().contains("UNet step by op class"), r.text());
    }

    /** {@code --dtype bfloat16}: the UNet call against a float32 twin, and the image error, in one run. */
    @Test
    void bfloat16RunComparesWithFloat32() throws Exception {
        assumeTrue(Bf16Support.unsupportedReason(Device.cpu()).isEmpty(), "bfloat16 compute unsupported here");
        BenchOptions o = options("--preset", "tiny", "--height", "64", "--width", "64", "--steps", "2", "--runs",
                "2", "--dtype", "bfloat16", "--json");
        BenchReport r = Benchmark.run(o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        JsonObject json = JsonParser.parseString(r.json()).getAsJsonObject();
        for (String key : List.of("unet_step_ms_float32_best", "unet_step_ms_bfloat16_best", "unet_speedup_best",
                "unet_speedup_median_of_rounds", "image_max_abs_diff", "image_psnr_db", "unet_output_max_abs_diff")) {
            double v = json.get(key).getAsDouble();
            assertTrue(v > 0 && Double.isFinite(v), key + " = " + v);
        }
        assertEquals("bfloat16", json.get("dtype").getAsString());
        assertEquals(2, json.getAsJsonArray("unet_step_ms_bfloat16_rounds").size());
        assertTrue(r.text().contains("bfloat16 vs float32"), r.text());
    }
}

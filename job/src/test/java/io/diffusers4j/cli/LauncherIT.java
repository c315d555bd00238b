package io.diffusers4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.image.Png;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as users (and the acceptance checks) run it: through scripts/diffusers4j. */
class LauncherIT {
    private static final String PROMPT = "a photo of an astronaut riding a horse on mars";

    @Test
    void generateNpyEqualsTheDiffusersImage(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("image.npy");
        Launcher.Result r = Launcher.run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", PROMPT,
                "--seed", "0", "--steps", "3", "--guidance-scale", "7.5", "--height", "64", "--width", "64",
                "--scheduler", "DDIMScheduler", "--output-type", "np", "--output", out.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.stderr());
        Npy.Array got = Npy.read(out);
        Npy.Array want = Fixtures.npy("ddim_3steps_cfg7.5_seed0/image.npy");
        assertArrayEquals(want.shape(), got.shape());
        float[] a = want.floats();
        float[] b = got.floats();
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        assertTrue(max <= 1e-3, "CLI image vs diffusers: " + max);
    }

    @Test
    void generatePngFolderWithSeedListAndLatents(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("pngs");
        Launcher.Result r = Launcher.run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "a red car",
                "--prompt", "a blue boat", "--negative-prompt", "blurry", "--seed", "1", "--seed", "2", "--steps", "2",
                "--scheduler", "EulerDiscreteScheduler", "--scheduler-option", "use_karras_sigmas=true",
                "--output", dir.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("2/2"), "a progress bar by default: " + r.stderr());
        for (String f : new String[] {"000.png", "001.png"}) {
            BufferedImage img = Png.read(dir.resolve(f)).image();
            assertEquals(64, img.getWidth());
        }
        Path latents = tmp.resolve("latents.npy");
        r = Launcher.run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "a red car", "--seed", "1",
                "--steps", "2", "--num-images-per-prompt", "2", "--output-type", "latent", "--output",
                latents.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.stderr());
        assertArrayEquals(new long[] {2, 4, 32, 32}, Npy.read(latents).shape());
    }

    /** bench --scaling: the bare pipeline and a Spark job per (batch size, slots), in a JVM of its own. */
    @Test
    void benchScalingRunsTheJobPerBatchSizeAndSlotCount() throws Exception {
        Launcher.Result r = Launcher.run("bench", "--model", Fixtures.tinySd().toString(), "--scaling", "--batches",
                "1,2", "--slots", "1,2", "--job", "3", "--steps", "1", "--height", "64", "--width", "64", "--json");
        assertEquals(0, r.exitCode(), r.stderr());
        String[] lines = r.stdout().trim().split("\n");
        JsonObject json = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
        JsonObject bare = json.getAsJsonObject("scaling_bare_images_per_s");
        assertEquals(2, bare.size(), json.toString());
        JsonArray runs = json.getAsJsonArray("scaling_runs");
        assertEquals(4, runs.size(), json.toString());
        for (int i = 0; i < runs.size(); i++) {
            JsonObject run = runs.get(i).getAsJsonObject();
            assertEquals(3, run.get("ok_images").getAsInt(), run.toString());
            assertEquals(1, run.get("pipeline_builds").getAsInt(), run.toString());
            assertEquals(i % 2 == 0 ? 1 : 2, run.get("slots").getAsInt(), run.toString());
            for (String key : new String[] {"job_images_per_s", "job_fraction_of_bare", "peak_rss_mb", "build_ms"}) {
                double v = run.get(key).getAsDouble();
                assertTrue(v > 0 && Double.isFinite(v), key + " = " + v + " in " + run);
            }
        }
        assertTrue(r.stdout().contains("Scaling: Spark job vs bare pipeline"), r.stdout());
    }

    @Test
    void tokenizePrintsTheDiffusersIds() throws Exception {
        Launcher.Result r = Launcher.run("tokenize", "--model", Fixtures.tinySd().toString(), "--prompt",
                "a photo of a cat", "--prompt", "A PHOTO OF A CAT");
        assertEquals(0, r.exitCode(), r.stderr());
        JsonObject json = JsonParser.parseString(r.stdout().trim()).getAsJsonObject();
        JsonArray rows = json.getAsJsonArray("input_ids");
        assertEquals(2, rows.size());
        long[] expected = {49406, 320, 1125, 539, 320, 2368, 49407, 49407};
        for (int row = 0; row < 2; row++) {
            assertEquals(77, rows.get(row).getAsJsonArray().size());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], rows.get(row).getAsJsonArray().get(i).getAsLong());
            }
        }
    }

    @Test
    void badArgumentsExitTwoWithOneLineAndWriteNothing(@TempDir Path tmp) throws Exception {
        String model = Fixtures.tinySd().toString();
        String[][] cases = {
                {"--height", "63", "--width", "64"},
                {"--prompt", "second", "--negative-prompt", "a", "--negative-prompt", "b", "--negative-prompt", "c"},
                {"--seed", "1", "--seed", "2", "--seed", "3", "--prompt", "second"},
                {"--image", Fixtures.tinySd().resolve("../reference/inputs/image_64x64.png").toString(),
                        "--strength", "1.5"},
                {"--dtype", "bfloat16", "--device", "gpu"},
                {"--scheduler", "NoSuchScheduler"},
                {"--scheduler-option", "no_such_key=1"},
                {"--steps", "zero"},
        };
        for (String[] extra : cases) {
            Path out = tmp.resolve("out-" + String.join("_", extra).hashCode());
            String[] args = new String[extra.length + 8];
            String[] base = {"generate", "--model", model, "--prompt", "first", "--output", out.toString(),
                    "--no-progress"};
            System.arraycopy(base, 0, args, 0, base.length);
            System.arraycopy(extra, 0, args, base.length, extra.length);
            Launcher.Result r = Launcher.run(args);
            String label = String.join(" ", extra);
            assertEquals(2, r.exitCode(), label + ": " + r.stderr());
            assertEquals(1, r.errorLines().size(), label + ": one line on stderr, got " + r.errorLines());
            assertTrue(r.errorLines().get(0).startsWith("diffusers4j generate: error: "), r.errorLines().get(0));
            assertFalse(Files.exists(out), label + ": nothing written");
        }
        Launcher.Result missing = Launcher.run("generate", "--prompt", "x");
        assertEquals(2, missing.exitCode());
        assertTrue(missing.stderr().contains("--output"), missing.stderr());
    }

    @Test
    void tinyPipelineThenGenerateWithItAndHelp(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("tiny");
        Launcher.Result r = Launcher.run("tiny-pipeline", "--output", dir.toString(), "--seed", "3");
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(Files.isRegularFile(dir.resolve("unet/diffusion_pytorch_model.safetensors")));
        Path out = tmp.resolve("x.npy");
        r = Launcher.run("generate", "--model", dir.toString(), "--prompt", "tiny", "--steps", "2", "--seed", "0",
                "--output-type", "np", "--output", out.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.stderr());
        assertArrayEquals(new long[] {1, 64, 64, 3}, Npy.read(out).shape());
        for (String cmd : new String[] {"generate", "tokenize", "tiny-pipeline", "job"}) {
            Launcher.Result help = Launcher.run(cmd, "--help");
            assertEquals(0, help.exitCode(), cmd + " --help: " + help.stderr());
            assertTrue(help.stdout().contains("Usage: diffusers4j " + cmd), cmd + " --help prints usage");
        }
        Launcher.Result unknown = Launcher.run("paint");
        assertEquals(2, unknown.exitCode());
        Launcher.Result typo = Launcher.run("generate", "--promt", "a cat", "--output", tmp.resolve("t").toString());
        assertEquals(2, typo.exitCode());
        assertTrue(typo.errorLines().get(0).startsWith("diffusers4j generate: error: Unknown option")
                && typo.errorLines().get(0).contains("'--promt'")
                && typo.errorLines().get(0).contains("did you mean --prompt"), typo.errorLines().toString());
        Launcher.Result version = Launcher.run("--version");
        assertEquals(0, version.exitCode(), version.stderr());
        assertTrue(version.stdout().contains("diffusers4j 0.1.0") && version.stdout().contains("DJL 0.36.0")
                && version.stdout().contains("libtorch 2.7.1") && version.stdout().contains("Spark 3.5.9"),
                version.stdout());
    }
}

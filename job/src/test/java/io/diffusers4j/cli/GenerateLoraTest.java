// `diffusers4j generate --lora / --textual-inversion`: the reference-lora cases through the command line.
package io.diffusers4j.cli;

import io.diffusers4j.image.AdapterMetadata;
import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs Main in-process on the tiny-sd fixture with the reference-lora adapters; compares with diffusers + peft. */
class GenerateLoraTest {
    private static final String PROMPT = "a photo of an astronaut riding a horse on mars";

    private static String adapter(String name) {
        return Fixtures.referenceLora().resolve("adapters").resolve(name).toString();
    }

    private static Object[] run(String... args) {
        return GenerateOutputTest.run(args);
    }

    private static void assertCase(Path npy, String refCase) throws Exception {
        Npy.Array ours = Npy.read(npy);
        Npy.Array ref = Npy.read(Fixtures.referenceLora().resolve(refCase + "/image.npy"));
        assertArrayEquals(ref.shape(), ours.shape());
        double diff = ReferenceCase.maxAbsDiff(ref.floats(), ours.floats());
        assertTrue(diff <= 1e-3, refCase + " image max |diff| " + diff);
    }

    /** Two --lora with scales = diffusers' set_adapters(["a", "b"], adapter_weights=[0.8, 0.5]). */
    @Test
    void twoLorasWithScalesMatchSetAdapters(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", PROMPT,
                "--negative-prompt", "low quality, blurry", "--steps", "4", "--seed", "7", "--height", "64",
                "--width", "64", "--scheduler", "EulerDiscreteScheduler", "--output-type", "np",
                "--lora", adapter("sd_peft.safetensors") + ":0.8", "--lora", adapter("sd_kohya.safetensors") + ":0.5",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("LoRA sd_kohya (scale 0.5"), (String) r[1]);
        assertCase(npy, "lora_two_adapters");
    }

    /** A three-vector AUTOMATIC1111 embedding with its token: the case ti_three. */
    @Test
    void textualInversionWithATokenMatchesDiffusers(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "a <tri> painting of a horse",
                "--negative-prompt", "blurry <tri>", "--steps", "4", "--seed", "9", "--height", "64", "--width", "64",
                "--scheduler", "EulerDiscreteScheduler", "--output-type", "np",
                "--textual-inversion", adapter("ti_three_a1111.safetensors") + ":<tri>",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertCase(npy, "ti_three");
    }

    /** PNG text records the adapters; the parameters text carries the web UI's <lora:name:scale> and hashes. */
    @Test
    void pngTextRecordsTheAdapters(@TempDir Path dir) throws Exception {
        Path pngs = dir.resolve("pngs");
        Object[] r = run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "a <tiny-cat> on a roof",
                "--steps", "2", "--seed", "3", "--height", "32", "--width", "32",
                "--lora", adapter("sd_kohya.safetensors") + ":0.5", "--lora", adapter("sd_peft.safetensors"),
                "--textual-inversion", adapter("ti_one.safetensors"), "--output", pngs.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        Png.Decoded png = Png.read(pngs.resolve("000.png"));
        GenerationMetadata m = GenerationMetadata.fromPngText(png.text());
        AdapterMetadata adapters = m.adapters();
        assertEquals(List.of("sd_kohya", "sd_peft"), adapters.loras().stream().map(AdapterMetadata.Lora::name)
                .toList());
        assertEquals(0.5, adapters.loras().get(0).scale());
        assertEquals(1.0, adapters.loras().get(1).scale());
        assertEquals(LoraLoader.sha256(Path.of(adapter("sd_kohya.safetensors"))),
                adapters.loras().get(0).sha256());
        assertEquals("<tiny-cat>", adapters.embeddings().get(0).token());
        String parameters = png.text().get("parameters");
        String hash = LoraLoader.addnetHash(Path.of(adapter("sd_kohya.safetensors")))
                .substring(0, 12);
        assertTrue(parameters.startsWith("a <tiny-cat> on a roof <lora:sd_kohya:0.5> <lora:sd_peft:1>\n"), parameters);
        assertTrue(parameters.contains("Lora hashes: \"sd_kohya: " + hash + ", sd_peft: "), parameters);
        assertTrue(parameters.contains("TI hashes: \"<tiny-cat>: "), parameters);
    }

    @Test
    void badAdapterFlagsFailBeforeAnyWork(@TempDir Path dir) throws Exception {
        Path pickle = Files.write(dir.resolve("style.ckpt"), new byte[] {1});
        Object[] r = run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "x", "--lora",
                pickle.toString(), "--output", dir.resolve("o").toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("pickle files are refused"), (String) r[1]);
        r = run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "x", "--lora",
                adapter("sd_kohya.safetensors") + ":strong", "--output", dir.resolve("o").toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("must be a scale (a number), got 'strong'"), (String) r[1]);
        r = run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "x", "--lora",
                dir.resolve("missing.safetensors").toString(), "--output", dir.resolve("o").toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("no such file or folder"), (String) r[1]);
        // a malformed file fails when the pipeline loads it, naming the file
        Path broken = Files.writeString(dir.resolve("broken.safetensors"), "not a safetensors file");
        r = run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "x", "--steps", "1", "--lora",
                broken.toString(), "--output", dir.resolve("o").toString(), "--no-progress");
        assertTrue((int) r[0] != 0, (String) r[1]);
        assertTrue(((String) r[1]).contains("broken.safetensors"), (String) r[1]);
    }
}

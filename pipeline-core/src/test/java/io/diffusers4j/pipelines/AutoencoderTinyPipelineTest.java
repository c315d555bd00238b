// Stable Diffusion with the tiny VAE swapped in (PipelineOptions.vae, model_index.json, component object) vs diffusers 0.30.3.
package io.diffusers4j.pipelines;

import io.diffusers4j.models.vae.AutoencoderTiny;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cases of {@code reference-tiny-vae/manifest.json} (recorded by {@code scripts/reference/gen_tiny_vae.py}). */
class AutoencoderTinyPipelineTest {
    private static final String PROMPT = "a photo of an astronaut riding a horse on mars";
    private static DiffusionPipeline pipe;

    static Path dir() {
        try {
            return Path.of(AutoencoderTinyPipelineTest.class.getResource("/reference-tiny-vae/manifest.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void load() {
        pipe = DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                new PipelineOptions().vae(dir().resolve("tiny-taesd").toString()));
    }

    @AfterAll
    static void close() {
        pipe.close();
    }

    static float[] expected(String name) throws IOException {
        return Npy.read(dir().resolve(name)).floats();
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }

    @Test
    void textToImageMatchesDiffusers() throws IOException {
        StableDiffusionPipeline sd = assertInstanceOf(StableDiffusionPipeline.class, pipe);
        assertInstanceOf(AutoencoderTiny.class, sd.vae());
        ImagePipelineOutput out = sd.call(new PipelineCall().prompt(PROMPT).numInferenceSteps(3).guidanceScale(7.5)
                .seed(0).outputType("np"));
        double diff = maxAbsDiff(expected("t2i_pndm_3steps_seed0.npy"), out.data());
        System.out.printf("SD + AutoencoderTiny text-to-image parity: max abs diff %.3g%n", diff);
        assertTrue(diff < 1e-3, "max abs diff " + diff);
    }

    @Test
    void imageToImageEncodesWithTheTinyVae() throws IOException {
        BufferedImage image = ImageIO.read(DiffusersReferencePipelineTest.referenceDir().resolve("inputs")
                .resolve("image_64x64.png").toFile());
        try (StableDiffusionImg2ImgPipeline i2i = new StableDiffusionImg2ImgPipeline(pipe.components())) {
            ImagePipelineOutput out = i2i.call(new PipelineCall().prompt(PROMPT).image(List.of(image)).strength(0.7)
                    .numInferenceSteps(4).guidanceScale(7.5).seed(1).outputType("np"));
            double diff = maxAbsDiff(expected("i2i_pndm_4steps_strength0.7_seed1.npy"), out.data());
            System.out.printf("SD img2img + AutoencoderTiny parity: max abs diff %.3g%n", diff);
            assertTrue(diff < 1e-3, "max abs diff " + diff);
        }
    }

    @Test
    void modelIndexNamingAutoencoderTinyLoadsIt(@TempDir Path tmp) throws IOException {
        Path copy = tmp.resolve("sd-taesd");
        copyTree(Fixtures.tinySd(), copy);
        copyTree(dir().resolve("tiny-taesd"), copy.resolve("vae"));
        Path index = copy.resolve("model_index.json");
        Files.writeString(index, Files.readString(index).replace("\"AutoencoderKL\"", "\"AutoencoderTiny\""));
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(copy.toString(), new PipelineOptions())) {
            StableDiffusionPipeline sd = (StableDiffusionPipeline) p;
            VaeModel vae = sd.vae();
            assertInstanceOf(AutoencoderTiny.class, vae);
            float[] a = sd.call(new PipelineCall().prompt(PROMPT).numInferenceSteps(3).guidanceScale(7.5).seed(0)
                    .outputType("np")).data();
            assertTrue(maxAbsDiff(expected("t2i_pndm_3steps_seed0.npy"), a) < 1e-3);
            Path saved = tmp.resolve("saved");
            p.savePretrained(saved, null);
            assertTrue(Files.readString(saved.resolve("model_index.json")).contains("AutoencoderTiny"));
            assertTrue(Files.readString(saved.resolve("vae/config.json")).contains("decoder_block_out_channels"));
        }
    }

    @Test
    void aFolderThatIsNoVaeIsRefusedNamingFileAndKey(@TempDir Path tmp) throws IOException {
        Path notVae = tmp.resolve("unet-as-vae");
        copyTree(Fixtures.tinySd().resolve("unet"), notVae);
        PipelineOptions o = new PipelineOptions().vae(notVae.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.checkPretrained(Fixtures.tinySd(), o));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("_class_name")
                && e.getMessage().contains("AutoencoderTiny"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PipelineOptions().vae(" "));
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}

// Access to the diffusers reference fixtures copied into the test resources (tiny-sd and its expected arrays).
package io.diffusers4j.testing;

import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.utils.Npy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;

/** Paths to the tiny-sd pipeline (a real diffusers save_pretrained folder) and its ground-truth arrays. */
public final class Fixtures {
    private static Path tinySd;
    private static Path referenceSdxl;
    private static Path referenceLora;
    private static Path referenceTinyVae;
    private static Path referenceFlow;

    private Fixtures() {
    }

    /** The tiny-sd pipeline folder (extracted to a temp folder when the resources live in a jar). */
    public static synchronized Path tinySd() {
        if (tinySd == null) {
            tinySd = resolve("tiny-sd");
        }
        return tinySd;
    }

    /** reference-sdxl: the tiny SDXL checkpoint ({@code tiny-sdxl/}) and its diffusers cases (manifest.json). */
    public static synchronized Path referenceSdxl() {
        if (referenceSdxl == null) {
            referenceSdxl = resolve("reference-sdxl", "manifest.json");
        }
        return referenceSdxl;
    }

    /** reference-lora: the LoRA / textual-inversion files ({@code adapters/}) and their diffusers cases. */
    public static synchronized Path referenceLora() {
        if (referenceLora == null) {
            referenceLora = resolve("reference-lora", "manifest.json");
        }
        return referenceLora;
    }

    /** reference-tiny-vae: the tiny AutoencoderTiny checkpoint ({@code tiny-taesd/}) and its diffusers cases. */
    public static synchronized Path referenceTinyVae() {
        if (referenceTinyVae == null) {
            referenceTinyVae = resolve("reference-tiny-vae", "manifest.json");
        }
        return referenceTinyVae;
    }

    /**
     * reference-flow: the tiny Stable Diffusion 3 / FLUX checkpoints ({@code tiny-sd3/}, {@code tiny-flux/},
     * {@code tiny-flux-dev/}), the T5 tokenizer and their diffusers cases (manifest.json).
     */
    public static synchronized Path referenceFlow() {
        if (referenceFlow == null) {
            referenceFlow = resolve("reference-flow", "manifest.json");
        }
        return referenceFlow;
    }

    /** reference-flow/t5: the tiny T5 encoder checkpoints and transformers' outputs ({@code manifest.json}). */
    public static Path referenceFlowT5() {
        return referenceFlow().resolve("t5");
    }

    /** reference-flow/t5-tokenizer: a tiny T5TokenizerFast folder (tokenizer.json, spiece.model, configs). */
    public static Path t5Tokenizer() {
        return referenceFlow().resolve("t5-tokenizer");
    }

    /**
     * reference-flow/transformers: the tiny SD3Transformer2DModel / FluxTransformer2DModel checkpoints and their
     * diffusers cases ({@code scripts/reference/gen_mmdit.py}, manifest.json).
     */
    public static Path referenceFlowTransformers() {
        return referenceFlow().resolve("transformers");
    }

    /** The tiny-sd pipeline loaded with default {@link PipelineOptions}; the caller closes it. */
    public static StableDiffusionPipeline tinySdPipeline() {
        return (StableDiffusionPipeline) DiffusionPipeline.fromPretrained(tinySd().toString(), new PipelineOptions());
    }

    public static Path expected(String relative) {
        return tinySd().resolve("expected").resolve(relative);
    }

    public static Npy.Array npy(String relative) {
        try {
            return Npy.read(expected(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path resolve(String name) {
        return resolve(name, "model_index.json");
    }

    /** The test-resource folder {@code name} (found by its file {@code marker}), copied out of a jar if needed. */
    private static Path resolve(String name, String marker) {
        URL url = Fixtures.class.getClassLoader().getResource(name + "/" + marker);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " not on the classpath");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI()).getParent();
            }
            // inside a jar (the pipeline-core test-jar used by the job module): copy out once
            Path out = Files.createTempDirectory("fixture-" + name.replace('/', '-'));
            try (FileSystem fs = FileSystems.newFileSystem(url.toURI(), Map.of())) {
                Path root = fs.getPath("/" + name);
                try (Stream<Path> walk = Files.walk(root)) {
                    for (Path p : (Iterable<Path>) walk::iterator) {
                        Path target = out.resolve(root.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(target);
                        } else {
                            try (InputStream in = Files.newInputStream(p)) {
                                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                            }
                        }
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A system property set for a test and put back as it was (value or absent) on close. */
    public static final class TestProperty implements AutoCloseable {
        private final String key;
        private final String before;

        private TestProperty(String key, String value) {
            this.key = key;
            this.before = System.getProperty(key);
            set(value);
        }

        /** Sets the property to {@code value} until close. */
        public void set(String value) {
            System.setProperty(key, value);
        }

        @Override
        public void close() {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    /** {@code try (var p = Fixtures.property(key, value)) {...}}: the property is restored when the block ends. */
    public static TestProperty property(String key, String value) {
        return new TestProperty(key, value);
    }
}

// Writer of the embedded default: a tiny SD-1.5-style pipeline with seeded random weights, in diffusers layout.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.clip.CLIPTextModel;
import io.diffusers4j.models.unet.UNet2DConditionConfig;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.weights.SafetensorsWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The project's own small pipeline: the configs and CLIP BPE tokenizer files of the tiny-sd reference pipeline
 * (UNet 32/64, VAE 32/64 with factor 2, 5-layer CLIP of width 32, PNDM scheduler with the SD-1.5 config), with
 * weights drawn from seeded generators. Loads in diffusers as well ({@code StableDiffusionPipeline.from_pretrained}).
 */
public final class TinyPipeline {
    /** Bump when the written files change, so cached default models are rewritten. */
    static final String LAYOUT_VERSION = "v1";
    private static final String RESOURCES = "/io/diffusers4j/tiny/";
    private static final List<String> FILES = List.of("model_index.json", "unet/config.json", "vae/config.json",
            "text_encoder/config.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json",
            "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json");

    private TinyPipeline() {
    }

    /** Writes the tiny pipeline to {@code dir} with weights from {@code seed} (unet: seed, vae: +1, text: +2). */
    public static Path write(Path dir, long seed) {
        try {
            for (String f : FILES) {
                Path target = dir.resolve(f);
                Files.createDirectories(target.getParent());
                try (InputStream in = TinyPipeline.class.getResourceAsStream(RESOURCES + f)) {
                    if (in == null) {
                        throw new IllegalStateException("missing resource " + RESOURCES + f);
                    }
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try (NDManager m = NDManager.newBaseManager()) {
                UNet2DConditionConfig unetCfg = ConfigBase.load(dir.resolve("unet/config.json"),
                        UNet2DConditionConfig.class);
                try (UNet2DConditionModel unet = UNet2DConditionModel.randomInit(unetCfg, seed, m, DataType.FLOAT32)) {
                    save(dir.resolve("unet/diffusion_pytorch_model.safetensors"), unet.stateDict());
                }
                AutoencoderKLConfig vaeCfg = ConfigBase.load(dir.resolve("vae/config.json"), AutoencoderKLConfig.class);
                try (AutoencoderKL vae = AutoencoderKL.randomInit(vaeCfg, seed + 1, m, DataType.FLOAT32)) {
                    save(dir.resolve("vae/diffusion_pytorch_model.safetensors"), vae.stateDict());
                }
                CLIPTextConfig teCfg = ConfigBase.load(dir.resolve("text_encoder/config.json"), CLIPTextConfig.class);
                try (CLIPTextModel te = CLIPTextModel.randomInit(teCfg, seed + 2, m, DataType.FLOAT32)) {
                    save(dir.resolve("text_encoder/model.safetensors"), te.stateDict());
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tiny pipeline to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void save(Path file, Map<String, ai.djl.ndarray.NDArray> tensors) throws IOException {
        SafetensorsWriter.write(file, tensors, null, Map.of("format", "pt"));
    }

    /**
     * The embedded default model (seed 0), written once under {@code $DIFFUSERS4J_CACHE} (default
     * {@code ~/.cache/diffusers4j}) and reused. Concurrent first uses (several executors) are safe: each writes a
     * private temp folder and renames it into place atomically.
     */
    public static synchronized Path defaultModel() {
        String env = System.getenv("DIFFUSERS4J_CACHE");
        Path cache = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "diffusers4j");
        Path target = cache.resolve("tiny-sd-seed0-" + LAYOUT_VERSION);
        if (Files.isRegularFile(target.resolve("model_index.json"))) {
            return target;
        }
        try {
            Files.createDirectories(cache);
            Path tmp = Files.createTempDirectory(cache, ".tiny-sd-");
            write(tmp, 0);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                deleteTree(tmp);
                if (!Files.isRegularFile(target.resolve("model_index.json"))) {
                    throw e;
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the embedded default model under " + cache + ": " + e, e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}

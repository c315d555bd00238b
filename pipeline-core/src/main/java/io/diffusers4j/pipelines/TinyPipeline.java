// Writer of the embedded default: a tiny SD-1.5-style pipeline with seeded random weights, in diffusers layout (and
// its unconditional image and audio siblings).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.clip.CLIPTextModel;
import io.diffusers4j.models.unet.UNet2DConditionConfig;
import io.diffusers4j.models.unet.UNet1DConfig;
import io.diffusers4j.models.unet.UNet1DModel;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.unet.UNet2DConfig;
import io.diffusers4j.models.unet.UNet2DModel;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.utils.AtomicFiles;
import io.diffusers4j.weights.SafetensorsWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The project's own small pipeline: the configs and CLIP BPE tokenizer files of the tiny-sd reference pipeline
 * (UNet 32/64, VAE 32/64 with factor 2, 5-layer CLIP of width 32, PNDM scheduler with the SD-1.5 config), with
 * weights drawn from seeded generators. Loads in diffusers as well ({@code StableDiffusionPipeline.from_pretrained}).
 *
 * <p>{@link Kind#UNCONDITIONAL} and {@link Kind#AUDIO} write the other two kinds of checkpoint the library runs, with
 * the configs of the diffusers-made reference checkpoints {@code tiny-ddpm} (a DDPMPipeline over a 16x16
 * UNet2DModel) and {@code tiny-dance} (a DanceDiffusionPipeline over a UNet1DModel with an IPNDMScheduler, 16 kHz),
 * and seeded random weights: the command line and the job run on them without a download.
 *
 * <p>Its pieces serve other random-weight pipelines too (the benchmark's SD-1.5 preset): the packaged files
 * ({@link #resource}, {@link #copyResources}), the weights writer ({@link #writeRandomWeights}) and the
 * write-once cache folder ({@link #cacheRoot}, {@link #writeOnce}).
 */
public final class TinyPipeline {
    /** Bump when the written files change, so cached default models are rewritten. */
    static final String LAYOUT_VERSION = "v1";
    private static final String RESOURCES_ROOT = "/io/diffusers4j/";
    private static final List<String> FILES = List.of("model_index.json", "unet/config.json", "vae/config.json",
            "text_encoder/config.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json",
            "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json");

    /** The three kinds of tiny pipeline: what {@code tiny-pipeline --kind} writes. */
    public enum Kind {
        /** A Stable Diffusion 1.5-style text-to-image pipeline (the embedded default). */
        TEXT_TO_IMAGE("tiny"),
        /** A DDPMPipeline: unconditional images from a UNet2DModel. */
        UNCONDITIONAL("tiny-unconditional"),
        /** A DanceDiffusionPipeline: unconditional audio from a UNet1DModel. */
        AUDIO("tiny-audio");

        private final String folder;

        Kind(String folder) {
            this.folder = folder;
        }

        /** The packaged folder of its configs, also the stem of its cache folder. */
        String folder() {
            return folder;
        }
    }

    /** The configs of the unconditional kinds: model_index.json, the UNet's and the scheduler's. */
    private static final List<String> UNET_FILES = List.of("model_index.json", "unet/config.json",
            "scheduler/scheduler_config.json");

    private TinyPipeline() {
    }

    /** Fills a pipeline folder. */
    @FunctionalInterface
    public interface FolderWriter {
        void write(Path dir) throws IOException;
    }

    /** Writes the tiny pipeline to {@code dir} with weights from {@code seed} (unet: seed, vae: +1, text: +2). */
    public static Path write(Path dir, long seed) {
        try {
            copyResources(dir, FILES);
            writeRandomWeights(dir, seed);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tiny pipeline to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a tiny pipeline of {@code kind} to {@code dir} with weights from {@code seed} (the UNet of the
     * unconditional kinds: {@code seed}).
     */
    public static Path write(Path dir, long seed, Kind kind) {
        if (kind == Kind.TEXT_TO_IMAGE) {
            return write(dir, seed);
        }
        try {
            copyResources(kind.folder(), dir, UNET_FILES);
            Path weights = dir.resolve("unet/diffusion_pytorch_model.safetensors");
            try (NDManager m = NDManager.newBaseManager()) {
                if (kind == Kind.UNCONDITIONAL) {
                    UNet2DConfig cfg = ConfigBase.load(dir.resolve("unet/config.json"), UNet2DConfig.class);
                    try (UNet2DModel unet = UNet2DModel.randomInit(cfg, seed, m, DataType.FLOAT32)) {
                        save(weights, unet.stateDict());
                    }
                } else {
                    UNet1DConfig cfg = ConfigBase.load(dir.resolve("unet/config.json"), UNet1DConfig.class);
                    try (UNet1DModel unet = UNet1DModel.randomInit(cfg, seed, m, DataType.FLOAT32)) {
                        save(weights, unet.stateDict());
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tiny " + kind.name().toLowerCase(Locale.ROOT)
                    + " pipeline to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Opens one of the tiny pipeline's packaged files, e.g. {@code "unet/config.json"}. */
    public static InputStream resource(String file) {
        return resource(Kind.TEXT_TO_IMAGE.folder(), file);
    }

    private static InputStream resource(String folder, String file) {
        String name = RESOURCES_ROOT + folder + "/" + file;
        InputStream in = TinyPipeline.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("missing resource " + name);
        }
        return in;
    }

    /** Copies packaged files ({@link #resource} names) to the same relative paths under {@code dir}. */
    public static void copyResources(Path dir, List<String> files) throws IOException {
        copyResources(Kind.TEXT_TO_IMAGE.folder(), dir, files);
    }

    private static void copyResources(String folder, Path dir, List<String> files) throws IOException {
        for (String f : files) {
            Path target = dir.resolve(f);
            Files.createDirectories(target.getParent());
            try (InputStream in = resource(folder, f)) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * Writes seeded random weights ({@code randomInit}) for the unet (seed), vae (seed + 1) and text_encoder
     * (seed + 2) of the pipeline folder {@code dir}, built from the config.json files already there, as diffusers
     * names the safetensors files. One component at a time: at most one component's weights are in memory.
     */
    public static void writeRandomWeights(Path dir, long seed) throws IOException {
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
    }

    private static void save(Path file, Map<String, NDArray> tensors) throws IOException {
        SafetensorsWriter.write(file, tensors, null, Map.of("format", "pt"));
    }

    /** Where generated pipelines are cached: {@code $DIFFUSERS4J_CACHE}, else {@code ~/.cache/diffusers4j}. */
    public static Path cacheRoot() {
        String env = System.getenv("DIFFUSERS4J_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "diffusers4j");
    }

    /**
     * The pipeline folder {@code target}, written by {@code writer} first unless it already holds a
     * {@code model_index.json}. Concurrent first uses (several executors, processes) are safe: each writes a private
     * temp folder ({@code tmpPrefix...}) next to {@code target} and renames it into place atomically; when another
     * one got there first, its folder is kept. The temp folder is deleted in every case.
     */
    public static Path writeOnce(Path target, String tmpPrefix, FolderWriter writer) throws IOException {
        if (Files.isRegularFile(target.resolve("model_index.json"))) {
            return target;
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(target.getParent(), tmpPrefix);
        try {
            writer.write(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
            if (!Files.isRegularFile(target.resolve("model_index.json"))) {
                throw e;
            }
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
        return target;
    }

    /**
     * The embedded default model (seed 0), written once under {@link #cacheRoot()} and reused (see
     * {@link #writeOnce}).
     */
    public static synchronized Path defaultModel() {
        Path cache = cacheRoot();
        try {
            return writeOnce(cache.resolve("tiny-sd-seed0-" + LAYOUT_VERSION), ".tiny-sd-", tmp -> write(tmp, 0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the embedded default model under " + cache + ": " + e, e);
        }
    }

    /** The tiny pipeline of {@code kind} with seed 0, written once under {@link #cacheRoot()} and reused. */
    public static synchronized Path defaultModel(Kind kind) {
        if (kind == Kind.TEXT_TO_IMAGE) {
            return defaultModel();
        }
        Path cache = cacheRoot();
        try {
            return writeOnce(cache.resolve(kind.folder() + "-seed0-" + LAYOUT_VERSION), "." + kind.folder() + "-",
                    tmp -> write(tmp, 0, kind));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tiny " + kind.folder() + " model under " + cache + ": "
                    + e, e);
        }
    }
}

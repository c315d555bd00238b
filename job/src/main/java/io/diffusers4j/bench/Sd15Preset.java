// The benchmark's SD-1.5 preset: runwayml/stable-diffusion-v1-5's architecture with seeded random weights.
package io.diffusers4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.clip.CLIPTextModel;
import io.diffusers4j.models.unet.UNet2DConditionConfig;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.pipelines.StableDiffusionComponents;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.tokenizers.CLIPTokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.diffusers4j.bench.PresetFiles.ints;
import static io.diffusers4j.bench.PresetFiles.strings;
import static io.diffusers4j.bench.PresetFiles.tinyJson;

/**
 * A Stable Diffusion 1.5 pipeline folder with the configs of runwayml/stable-diffusion-v1-5 (UNet
 * 320/640/1280/1280 with 8 heads, cross-attention 768, 2 layers per block; CLIP ViT-L/14 text encoder: width 768,
 * 12 layers, 12 heads, MLP 3072, quick GELU; the 4-block VAE 128/256/512/512) and seeded random weights in float32
 * (about 4.3 GB). The tokenizer is the real CLIP BPE tokenizer (the embedded tiny pipeline's files), the scheduler
 * SD-1.5's PNDM config. Written once to a cache folder as a real diffusers checkpoint (safetensors), so that the
 * benchmark measures the real workload and the real loading path without downloading weights.
 */
public final class Sd15Preset {
    /** Bump when the written files change. */
    static final String VERSION = "v1";
    private static final List<String> COPIED = Stream.concat(Stream.of("model_index.json",
            "scheduler/scheduler_config.json"), PresetFiles.TOKENIZER_FILES.stream()).toList();

    private Sd15Preset() {
    }

    /** Where the preset for {@code seed} is cached under {@code cacheRoot}. */
    public static Path cacheDir(Path cacheRoot, long seed) {
        return cacheRoot.resolve("bench").resolve("sd15-random-seed" + seed + "-" + VERSION);
    }

    /** The cached preset folder for {@code seed} under {@code cacheRoot}, written first when missing. */
    public static Path cached(Path cacheRoot, long seed) {
        try {
            return TinyPipeline.writeOnce(cacheDir(cacheRoot, seed), ".sd15-", tmp -> write(tmp, seed));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sd15 preset under " + cacheRoot + ": " + e, e);
        }
    }

    /**
     * Writes the cached preset in a child JVM (same Java, classpath and environment), so that the benchmark's own
     * process never held the 3.4 GB of random UNet weights and its memory figures stay clean. Falls back to writing
     * in this process when a child cannot be started.
     */
    static void writeInChildProcess(Path cacheRoot, long seed, PrintStream log) throws IOException,
            InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                Sd15Preset.class.getName(), cacheRoot.toString(), Long.toString(seed));
        Process child;
        try {
            child = new ProcessBuilder(cmd).inheritIO().start();
        } catch (IOException e) {
            log.println("bench: cannot start a child JVM (" + e.getMessage() + "); writing the preset in-process");
            cached(cacheRoot, seed);
            return;
        }
        int rc = child.waitFor();
        if (rc != 0 || !Files.isRegularFile(cacheDir(cacheRoot, seed).resolve("model_index.json"))) {
            throw new IOException("writing the sd15 preset failed (child JVM exit code " + rc + ")");
        }
    }

    /** {@code Sd15Preset CACHE_ROOT SEED}: writes the cached preset (the benchmark's child JVM). */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Path dir = cached(Path.of(args[0]), Long.parseLong(args[1]));
        System.err.println("sd15 preset: " + dir);
        System.exit(0);
    }

    /**
     * The preset built in memory on {@code device} in {@code dtype} (no checkpoint written or read): the pipeline
     * owns its components.
     */
    public static StableDiffusionPipeline inMemory(long seed, Device device, DataType dtype) throws IOException {
        NDManager root = NDManager.newBaseManager(device);
        UNet2DConditionModel unet = UNet2DConditionModel.randomInit(ConfigBase.fromJson(unetConfigJson(),
                UNet2DConditionConfig.class, "sd15 preset unet"), seed, root, dtype);
        AutoencoderKL vae = AutoencoderKL.randomInit(ConfigBase.fromJson(vaeConfigJson(), AutoencoderKLConfig.class,
                "sd15 preset vae"), seed + 1, root, dtype);
        CLIPTextModel te = CLIPTextModel.randomInit(ConfigBase.fromJson(textConfigJson(), CLIPTextConfig.class,
                "sd15 preset text_encoder"), seed + 2, root, dtype);
        CLIPTokenizer tokenizer = PresetFiles.clipTokenizer();
        Scheduler scheduler = Schedulers.fromConfig(tinyJson("scheduler/scheduler_config.json"), "sd15 preset");
        return new StableDiffusionPipeline(new StableDiffusionComponents(vae, te, tokenizer, unet, scheduler), true);
    }

    /** The benchmark cache root: {@code $DIFFUSERS4J_CACHE}, else {@code ~/.cache/diffusers4j}. */
    public static Path defaultCacheRoot() {
        return TinyPipeline.cacheRoot();
    }

    /** Writes the preset to {@code dir}: configs, tokenizer, scheduler, and weights (unet: seed, vae +1, text +2). */
    public static void write(Path dir, long seed) throws IOException {
        TinyPipeline.copyResources(dir, COPIED);
        writeJson(dir.resolve("unet/config.json"), unetConfigJson());
        writeJson(dir.resolve("vae/config.json"), vaeConfigJson());
        writeJson(dir.resolve("text_encoder/config.json"), textConfigJson());
        // one component at a time, so at most the UNet's weights (3.4 GB) are in memory
        TinyPipeline.writeRandomWeights(dir, seed);
    }

    /** runwayml/stable-diffusion-v1-5 unet/config.json (the keys it sets; the rest are diffusers' defaults). */
    static JsonObject unetConfigJson() {
        JsonObject c = tinyJson("unet/config.json");
        c.add("block_out_channels", ints(320, 640, 1280, 1280));
        c.add("down_block_types", strings("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                "DownBlock2D"));
        c.add("up_block_types", strings("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                "CrossAttnUpBlock2D"));
        c.addProperty("cross_attention_dim", 768);
        c.addProperty("attention_head_dim", 8);
        c.addProperty("layers_per_block", 2);
        c.addProperty("sample_size", 64);
        return c;
    }

    /** runwayml/stable-diffusion-v1-5 vae/config.json. */
    static JsonObject vaeConfigJson() {
        JsonObject c = tinyJson("vae/config.json");
        c.add("block_out_channels", ints(128, 256, 512, 512));
        c.add("down_block_types", strings("DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D",
                "DownEncoderBlock2D"));
        c.add("up_block_types", strings("UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D",
                "UpDecoderBlock2D"));
        c.addProperty("layers_per_block", 2);
        c.addProperty("latent_channels", 4);
        c.addProperty("sample_size", 512);
        c.addProperty("scaling_factor", 0.18215);
        return c;
    }

    /** The CLIP ViT-L/14 text tower of runwayml/stable-diffusion-v1-5 (text_encoder/config.json). */
    static JsonObject textConfigJson() {
        JsonObject c = tinyJson("text_encoder/config.json");
        c.addProperty("hidden_size", 768);
        c.addProperty("intermediate_size", 3072);
        c.addProperty("num_attention_heads", 12);
        c.addProperty("num_hidden_layers", 12);
        c.addProperty("hidden_act", "quick_gelu");
        c.addProperty("projection_dim", 768);
        c.addProperty("max_position_embeddings", 77);
        return c;
    }

    private static void writeJson(Path file, JsonObject json) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, ConfigBase.GSON.toJson(json) + "\n", StandardCharsets.UTF_8);
    }

}

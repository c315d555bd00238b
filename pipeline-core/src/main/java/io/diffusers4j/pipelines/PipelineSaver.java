// diffusers' DiffusionPipeline.save_pretrained for the Stable Diffusion pipelines.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.weights.SafetensorsWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes {@code model_index.json}, each component's config and safetensors weights (named with the variant, e.g.
 * {@code diffusion_pytorch_model.fp16.safetensors}) and the tokenizer files, in the layout diffusers writes.
 */
final class PipelineSaver {
    static final String DIFFUSERS_VERSION = "0.30.3";

    private PipelineSaver() {
    }

    static void save(AbstractStableDiffusionPipeline p, String className, Path dir, String variant) throws IOException {
        Files.createDirectories(dir);
        JsonObject index = new JsonObject();
        index.addProperty("_class_name", className);
        index.addProperty("_diffusers_version", DIFFUSERS_VERSION);
        index.add("feature_extractor", pair(null, null));
        index.add("image_encoder", pair(null, null));
        index.addProperty("requires_safety_checker", false);
        index.add("safety_checker", pair(null, null));
        index.add("scheduler", pair("diffusers", p.scheduler().className()));
        index.add("text_encoder", pair("transformers", p.textEncoder().getClass().getSimpleName()));
        index.add("tokenizer", pair("transformers", "CLIPTokenizer"));
        index.add("unet", pair("diffusers", "UNet2DConditionModel"));
        index.add("vae", pair("diffusers", "AutoencoderKL"));
        Files.writeString(dir.resolve("model_index.json"), ConfigBase.GSON.toJson(index) + "\n",
                StandardCharsets.UTF_8);

        p.unet().config().save(dir.resolve("unet/config.json"));
        weights(dir.resolve("unet"), "diffusion_pytorch_model", variant, p.unet().stateDict());
        p.vae().config().save(dir.resolve("vae/config.json"));
        weights(dir.resolve("vae"), "diffusion_pytorch_model", variant, p.vae().stateDict());
        p.textEncoder().config().save(dir.resolve("text_encoder/config.json"));
        weights(dir.resolve("text_encoder"), "model", variant, p.textEncoder().stateDict());
        p.tokenizer().savePretrained(dir.resolve("tokenizer"));
        p.scheduler().config().save(dir.resolve("scheduler/scheduler_config.json"));
    }

    private static JsonArray pair(String library, String cls) {
        JsonArray a = new JsonArray();
        a.add(library == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(library));
        a.add(cls == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(cls));
        return a;
    }

    private static void weights(Path dir, String base, String variant, Map<String, NDArray> tensors)
            throws IOException {
        String name = base + (variant == null || variant.isBlank() ? "" : "." + variant) + ".safetensors";
        SafetensorsWriter.write(dir.resolve(name), tensors, null, Map.of("format", "pt"));
    }
}

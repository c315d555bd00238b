// diffusers' DiffusionPipeline.save_pretrained for the pipelines of this library.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.tokenizers.T5TokenizerFast;
import io.diffusers4j.weights.SafetensorsWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code model_index.json} (the pipeline's own keys plus one entry per component, sorted), each component's
 * config and safetensors weights (named with the variant, e.g. {@code diffusion_pytorch_model.fp16.safetensors})
 * and the tokenizer files, in the layout diffusers writes.
 */
final class PipelineSaver {
    static final String DIFFUSERS_VERSION = "0.30.3";

    private PipelineSaver() {
    }

    static void save(DiffusionPipeline p, String className, Path dir, String variant) throws IOException {
        Files.createDirectories(dir);
        // diffusers writes model_index.json with sorted keys
        Map<String, JsonElement> index = new TreeMap<>(p.modelIndexKeys());
        for (Map.Entry<String, Object> e : p.components().entrySet()) {
            index.put(e.getKey(), saveComponent(e.getValue(), dir.resolve(e.getKey()), variant));
        }
        JsonObject json = new JsonObject();
        json.addProperty("_class_name", className);
        json.addProperty("_diffusers_version", DIFFUSERS_VERSION);
        index.forEach(json::add);
        Files.writeString(dir.resolve("model_index.json"), ConfigBase.GSON.toJson(json) + "\n",
                StandardCharsets.UTF_8);
    }

    /** Writes one component's folder; returns its model_index.json entry. */
    private static JsonElement saveComponent(Object c, Path dir, String variant) throws IOException {
        if (c == null) {
            return ModelIndex.absent();
        } else if (c instanceof UNet2DConditionModel unet) {
            unet.config().save(dir.resolve("config.json"));
            weights(dir, "diffusion_pytorch_model", variant, unet.stateDict());
            return ModelIndex.pair("diffusers", "UNet2DConditionModel");
        } else if (c instanceof T5EncoderModel t5) { // a transformers model: transformers' file name
            t5.config().save(dir.resolve("config.json"));
            weights(dir, "model", variant, t5.stateDict());
            return ModelIndex.pair("transformers", "T5EncoderModel");
        } else if (c instanceof OwnedModel<?> model) {
            model.config().save(dir.resolve("config.json"));
            weights(dir, "diffusion_pytorch_model", variant, model.stateDict());
            return ModelIndex.pair("diffusers", model.config().defaultClassName());
        } else if (c instanceof VaeModel vae) {
            vae.config().save(dir.resolve("config.json"));
            weights(dir, "diffusion_pytorch_model", variant, vae.stateDict());
            return ModelIndex.pair("diffusers", vae.className());
        } else if (c instanceof CLIPTextEncoder te) {
            te.config().save(dir.resolve("config.json"));
            weights(dir, "model", variant, te.stateDict());
            return ModelIndex.pair("transformers", te.getClass().getSimpleName());
        } else if (c instanceof CLIPTokenizer tok) {
            tok.savePretrained(dir);
            return ModelIndex.pair("transformers", "CLIPTokenizer");
        } else if (c instanceof T5TokenizerFast tok) {
            tok.savePretrained(dir);
            return ModelIndex.pair("transformers", "T5TokenizerFast");
        } else if (c instanceof Scheduler scheduler) {
            scheduler.config().save(dir.resolve("scheduler_config.json"));
            return ModelIndex.pair("diffusers", scheduler.className());
        }
        throw new IllegalArgumentException("cannot save a component of type " + c.getClass().getName());
    }

    private static void weights(Path dir, String base, String variant, Map<String, NDArray> tensors)
            throws IOException {
        String name = base + (variant == null || variant.isBlank() ? "" : "." + variant) + ".safetensors";
        SafetensorsWriter.write(dir.resolve(name), tensors, null, Map.of("format", "pt"));
    }
}

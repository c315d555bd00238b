// A VAE loaded from its own folder or Hub id instead of the pipeline's (diffusers: from_pretrained(..., vae=AutoencoderTiny.from_pretrained(...))).
package io.diffusers4j.pipelines;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The VAE override of {@link PipelineOptions#vae(String)}: a folder with {@code config.json} and
 * {@code diffusion_pytorch_model.safetensors} (a VAE repo such as {@code madebyollin/taesd}, or the {@code vae/}
 * folder of another pipeline), whose class is the config's {@code _class_name}.
 */
final class VaeSource {
    /** The VAE classes a folder may name. */
    static final List<String> CLASSES = List.of("AutoencoderKL", "AutoencoderTiny");

    private VaeSource() {
    }

    /** The VAE class of {@code dir}'s config.json; refused naming the file and the key when it is no VAE. */
    static String className(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("VAE folder " + dir + " has no config.json");
        }
        JsonObject json = ConfigBase.readJsonObject(file);
        JsonElement name = json.get("_class_name");
        String className = name != null && name.isJsonPrimitive() ? name.getAsString() : null;
        if (className == null || !CLASSES.contains(className)) {
            throw new IllegalArgumentException(file + ": key '_class_name' is " + (name == null ? "missing"
                    : name.toString()) + "; a VAE folder must name one of " + CLASSES);
        }
        return className;
    }

    /** Checks the override's config without reading weights (a Hub id: its config.json only). */
    static void check(String source, PipelineOptions o) {
        Path dir = ModelSources.resolveModel(source, o, true);
        ComponentLoader.check("vae", "diffusers", className(dir), dir);
    }

    /** Loads the override with the pipeline's device and dtype. */
    static Object load(String source, PipelineOptions o, ComponentLoader.LoadContext ctx) {
        Path dir = ModelSources.resolveModel(source, o, false);
        return ComponentLoader.load("vae", "diffusers", className(dir), dir,
                new ComponentLoader.LoadContext(ctx.device(), ctx.dtype(), null, null));
    }
}

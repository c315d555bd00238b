// The components of diffusers' Stable Diffusion pipelines (the keys of model_index.json).
package io.diffusers4j.pipelines;

import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * vae, text_encoder, tokenizer, unet, scheduler; safety_checker / feature_extractor / image_encoder are not
 * supported and always absent (diffusers' {@code safety_checker=None}).
 */
public record StableDiffusionComponents(VaeModel vae, CLIPTextEncoder textEncoder, CLIPTokenizer tokenizer,
                                        UNet2DConditionModel unet, Scheduler scheduler) {
    public StableDiffusionComponents {
        require(vae, "vae");
        require(textEncoder, "text_encoder");
        require(tokenizer, "tokenizer");
        require(unet, "unet");
        require(scheduler, "scheduler");
    }

    private static void require(Object c, String name) {
        require(c, "Stable Diffusion pipelines need", name);
    }

    /** Refuses a missing required component: "{@code who} the component '{@code name}'". */
    static void require(Object c, String who, String name) {
        if (c == null) {
            throw new IllegalArgumentException(who + " the component '" + name + "'");
        }
    }

    /** Builds the record from a components map (diffusers' {@code Pipeline(**pipe.components)}). */
    public static StableDiffusionComponents from(Map<String, Object> components) {
        if (cast(components, "text_encoder_2", Object.class) != null) {
            throw new IllegalArgumentException("these components have a text_encoder_2 (an SDXL checkpoint): use "
                    + "StableDiffusionXLPipeline");
        }
        return new StableDiffusionComponents(cast(components, "vae", VaeModel.class),
                cast(components, "text_encoder", CLIPTextEncoder.class), cast(components, "tokenizer", CLIPTokenizer.class),
                cast(components, "unet", UNet2DConditionModel.class), cast(components, "scheduler", Scheduler.class));
    }

    static <T> T cast(Map<String, Object> components, String name, Class<T> type) {
        Object c = components.get(name);
        if (c == null || c == PipelineOptions.NONE) {
            return null;
        }
        if (!type.isInstance(c)) {
            throw new IllegalArgumentException("component '" + name + "' must be a " + type.getSimpleName()
                    + ", got " + c.getClass().getName());
        }
        return type.cast(c);
    }

    /** The components by their model_index.json names, in diffusers' order. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vae", vae);
        m.put("text_encoder", textEncoder);
        m.put("tokenizer", tokenizer);
        m.put("unet", unet);
        m.put("scheduler", scheduler);
        return m;
    }

    public StableDiffusionComponents withScheduler(Scheduler scheduler) {
        return new StableDiffusionComponents(vae, textEncoder, tokenizer, unet, scheduler);
    }
}

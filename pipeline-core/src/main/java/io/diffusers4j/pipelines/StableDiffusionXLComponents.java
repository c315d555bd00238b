// The components of diffusers' StableDiffusionXLPipeline (the keys of its model_index.json).
package io.diffusers4j.pipelines;

import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextModelWithProjection;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * vae, text_encoder + tokenizer (a CLIPTextModel; both absent in a refiner-style checkpoint), text_encoder_2 +
 * tokenizer_2 (a CLIPTextModelWithProjection: its projected pooled output conditions the UNet), unet, scheduler.
 * image_encoder / feature_extractor are not supported and always absent.
 */
public record StableDiffusionXLComponents(VaeModel vae, CLIPTextEncoder textEncoder, CLIPTextEncoder textEncoder2,
                                          CLIPTokenizer tokenizer, CLIPTokenizer tokenizer2, UNet2DConditionModel unet,
                                          Scheduler scheduler) {
    public StableDiffusionXLComponents {
        require(vae, "vae");
        require(textEncoder2, "text_encoder_2");
        require(tokenizer2, "tokenizer_2");
        require(unet, "unet");
        require(scheduler, "scheduler");
        if (!(textEncoder2 instanceof CLIPTextModelWithProjection)) {
            throw new IllegalArgumentException("text_encoder_2 must be a CLIPTextModelWithProjection (its text_embeds "
                    + "are the pooled conditioning), got " + textEncoder2.getClass().getSimpleName());
        }
        if ((textEncoder == null) != (tokenizer == null)) {
            throw new IllegalArgumentException("text_encoder and tokenizer must both be given or both be absent, got "
                    + "text_encoder " + (textEncoder == null ? "absent" : "present") + " and tokenizer "
                    + (tokenizer == null ? "absent" : "present"));
        }
    }

    private static void require(Object c, String name) {
        if (c == null) {
            throw new IllegalArgumentException("StableDiffusionXLPipeline needs the component '" + name + "'");
        }
    }

    /** Builds the record from a components map (diffusers' {@code StableDiffusionXLPipeline(**pipe.components)}). */
    public static StableDiffusionXLComponents from(Map<String, Object> c) {
        return new StableDiffusionXLComponents(StableDiffusionComponents.cast(c, "vae", VaeModel.class),
                StableDiffusionComponents.cast(c, "text_encoder", CLIPTextEncoder.class),
                StableDiffusionComponents.cast(c, "text_encoder_2", CLIPTextEncoder.class),
                StableDiffusionComponents.cast(c, "tokenizer", CLIPTokenizer.class),
                StableDiffusionComponents.cast(c, "tokenizer_2", CLIPTokenizer.class),
                StableDiffusionComponents.cast(c, "unet", UNet2DConditionModel.class),
                StableDiffusionComponents.cast(c, "scheduler", Scheduler.class));
    }

    /** The components by their model_index.json names (absent ones as null), in diffusers' order. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vae", vae);
        m.put("text_encoder", textEncoder);
        m.put("text_encoder_2", textEncoder2);
        m.put("tokenizer", tokenizer);
        m.put("tokenizer_2", tokenizer2);
        m.put("unet", unet);
        m.put("scheduler", scheduler);
        return m;
    }
}

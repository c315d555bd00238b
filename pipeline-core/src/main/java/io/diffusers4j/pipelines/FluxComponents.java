// The components of diffusers' FluxPipeline (the keys of its model_index.json).
package io.diffusers4j.pipelines;

import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.models.transformers.FluxTransformer2DModel;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.tokenizers.T5TokenizerFast;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.diffusers4j.pipelines.StableDiffusionComponents.cast;

/** transformer, scheduler, vae, the CLIP text encoder (pooled output) and the T5 encoder, with their tokenizers. */
public record FluxComponents(FluxTransformer2DModel transformer, Scheduler scheduler, VaeModel vae,
                             CLIPTextEncoder textEncoder, CLIPTokenizer tokenizer, T5EncoderModel textEncoder2,
                             T5TokenizerFast tokenizer2) {
    public FluxComponents {
        require(transformer, "transformer");
        require(scheduler, "scheduler");
        require(vae, "vae");
        require(textEncoder, "text_encoder");
        require(tokenizer, "tokenizer");
        require(textEncoder2, "text_encoder_2");
        require(tokenizer2, "tokenizer_2");
    }

    private static void require(Object c, String name) {
        StableDiffusionComponents.require(c, "FluxPipeline needs", name);
    }

    /** Builds the record from a components map. */
    public static FluxComponents from(Map<String, Object> components) {
        return new FluxComponents(cast(components, "transformer", FluxTransformer2DModel.class),
                cast(components, "scheduler", Scheduler.class), cast(components, "vae", VaeModel.class),
                cast(components, "text_encoder", CLIPTextEncoder.class),
                cast(components, "tokenizer", CLIPTokenizer.class),
                cast(components, "text_encoder_2", T5EncoderModel.class),
                cast(components, "tokenizer_2", T5TokenizerFast.class));
    }

    /** The components by their model_index.json names, in diffusers' order. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scheduler", scheduler);
        m.put("text_encoder", textEncoder);
        m.put("text_encoder_2", textEncoder2);
        m.put("tokenizer", tokenizer);
        m.put("tokenizer_2", tokenizer2);
        m.put("transformer", transformer);
        m.put("vae", vae);
        return m;
    }
}

// The components of diffusers' StableDiffusion3Pipeline (the keys of its model_index.json).
package io.diffusers4j.pipelines;

import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.models.transformers.SD3Transformer2DModel;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.tokenizers.T5TokenizerFast;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.diffusers4j.pipelines.StableDiffusionComponents.cast;

/**
 * transformer, scheduler, vae, the two CLIP encoders with projection and their tokenizers, and the T5 encoder with
 * its tokenizer, which may be absent together (diffusers' {@code text_encoder_3=None, tokenizer_3=None}: the T5
 * half of the prompt embeddings is then zeros).
 */
public record StableDiffusion3Components(SD3Transformer2DModel transformer, Scheduler scheduler, VaeModel vae,
                                         CLIPTextEncoder textEncoder, CLIPTokenizer tokenizer,
                                         CLIPTextEncoder textEncoder2, CLIPTokenizer tokenizer2,
                                         T5EncoderModel textEncoder3, T5TokenizerFast tokenizer3) {
    public StableDiffusion3Components {
        require(transformer, "transformer");
        require(scheduler, "scheduler");
        require(vae, "vae");
        require(textEncoder, "text_encoder");
        require(tokenizer, "tokenizer");
        require(textEncoder2, "text_encoder_2");
        require(tokenizer2, "tokenizer_2");
        if (textEncoder3 != null && tokenizer3 == null) {
            throw new IllegalArgumentException("StableDiffusion3Pipeline has text_encoder_3 but no tokenizer_3");
        }
    }

    private static void require(Object c, String name) {
        StableDiffusionComponents.require(c, "StableDiffusion3Pipeline needs", name);
    }

    /** Builds the record from a components map ({@code text_encoder_3} / {@code tokenizer_3} may be None). */
    public static StableDiffusion3Components from(Map<String, Object> components) {
        return new StableDiffusion3Components(cast(components, "transformer", SD3Transformer2DModel.class),
                cast(components, "scheduler", Scheduler.class), cast(components, "vae", VaeModel.class),
                cast(components, "text_encoder", CLIPTextEncoder.class),
                cast(components, "tokenizer", CLIPTokenizer.class),
                cast(components, "text_encoder_2", CLIPTextEncoder.class),
                cast(components, "tokenizer_2", CLIPTokenizer.class),
                cast(components, "text_encoder_3", T5EncoderModel.class),
                cast(components, "tokenizer_3", T5TokenizerFast.class));
    }

    /** The components by their model_index.json names, in diffusers' order. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scheduler", scheduler);
        m.put("text_encoder", textEncoder);
        m.put("text_encoder_2", textEncoder2);
        m.put("text_encoder_3", textEncoder3);
        m.put("tokenizer", tokenizer);
        m.put("tokenizer_2", tokenizer2);
        m.put("tokenizer_3", tokenizer3);
        m.put("transformer", transformer);
        m.put("vae", vae);
        return m;
    }
}

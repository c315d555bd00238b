// `bench --preset sd3-medium-shape`: stabilityai/stable-diffusion-3-medium-diffusers' architecture, random weights.
package io.diffusers4j.bench;

import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.transformers.SD3Transformer2DConfig;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;

import static io.diffusers4j.bench.PresetFiles.repeated;

/**
 * The configs of stabilityai/stable-diffusion-3-medium-diffusers: the MMDiT (patch 2, 24 joint blocks of 24 heads x
 * 64, caption projection 1536, joint attention 4096, pooled 2048, position table 192), CLIP-L with projection (the
 * SD-1.5 preset's text tower: 768 wide, 12 layers, quick GELU, projection 768), CLIP-G with projection (1280 wide,
 * 32 layers of 20 heads, MLP 5120, GELU, projection 1280), the SD-1.5 preset's 4-block VAE with 16 latent channels,
 * scaling 1.5305, shift 0.0609 and no quant convolutions, and FlowMatchEulerDiscreteScheduler with shift 3.0. The
 * T5-XXL text encoder ({@code text_encoder_3}, 4.76 B parameters, 19 GB in float32) is left out, as diffusers allows
 * ({@code text_encoder_3=None}: its rows of the prompt embedding are zeros): it does not fit a 24 GiB machine next to
 * the rest (2.09 B + 0.82 B + 0.08 B parameters, 12 GB in float32). The tokenizers are the SD-1.5 preset's CLIP
 * tokenizer.
 * {@link Sd3Workload} builds it in memory with seeded random weights.
 */
final class Sd3Preset {
    static final String NAME = "sd3-medium-shape";
    /** SD3-medium's num_layers. */
    static final int LAYERS = 24;
    /** Text tokens without T5: 77 CLIP rows and 77 zero rows (diffusers pads with tokenizer_max_length zeros). */
    static final int TEXT_TOKENS_WITHOUT_T5 = 77 + 77;

    private Sd3Preset() {
    }

    /** transformer/config.json with {@code layers} joint blocks (SD3-medium: 24). */
    static SD3Transformer2DConfig transformer(int layers) {
        JsonObject c = new JsonObject();
        c.addProperty("_class_name", "SD3Transformer2DModel");
        c.addProperty("sample_size", 128);
        c.addProperty("patch_size", 2);
        c.addProperty("in_channels", 16);
        c.addProperty("num_layers", layers);
        c.addProperty("attention_head_dim", 64);
        c.addProperty("num_attention_heads", 24);
        c.addProperty("joint_attention_dim", 4096);
        c.addProperty("caption_projection_dim", 1536);
        c.addProperty("pooled_projection_dim", 2048);
        c.addProperty("out_channels", 16);
        c.addProperty("pos_embed_max_size", 192);
        return ConfigBase.fromJson(c, SD3Transformer2DConfig.class, NAME + " transformer");
    }

    /** text_encoder/config.json: CLIP ViT-L/14's text tower with its projection. */
    static CLIPTextConfig clipL() {
        JsonObject c = Sd15Preset.textConfigJson();
        c.add("architectures", repeated("CLIPTextModelWithProjection", 1));
        return ConfigBase.fromJson(c, CLIPTextConfig.class, NAME + " text_encoder");
    }

    /** text_encoder_2/config.json: OpenCLIP ViT-bigG/14's text tower with its projection. */
    static CLIPTextConfig clipG() {
        JsonObject c = Sd15Preset.textConfigJson();
        c.add("architectures", repeated("CLIPTextModelWithProjection", 1));
        c.addProperty("hidden_size", 1280);
        c.addProperty("intermediate_size", 5120);
        c.addProperty("num_attention_heads", 20);
        c.addProperty("num_hidden_layers", 32);
        c.addProperty("hidden_act", "gelu");
        c.addProperty("projection_dim", 1280);
        return ConfigBase.fromJson(c, CLIPTextConfig.class, NAME + " text_encoder_2");
    }

    /** vae/config.json (SD3 and FLUX.1 share the architecture; the factors differ). */
    static AutoencoderKLConfig vae(double scalingFactor, double shiftFactor, String name) {
        JsonObject c = Sd15Preset.vaeConfigJson();
        c.addProperty("latent_channels", 16);
        c.addProperty("sample_size", 1024);
        c.addProperty("scaling_factor", scalingFactor);
        c.addProperty("shift_factor", shiftFactor);
        c.addProperty("use_quant_conv", false);
        c.addProperty("use_post_quant_conv", false);
        return ConfigBase.fromJson(c, AutoencoderKLConfig.class, name + " vae");
    }

    /** scheduler/scheduler_config.json. */
    static Scheduler scheduler() {
        JsonObject c = new JsonObject();
        c.addProperty("_class_name", "FlowMatchEulerDiscreteScheduler");
        c.addProperty("num_train_timesteps", 1000);
        c.addProperty("shift", 3.0);
        return Schedulers.fromConfig(c, NAME + " scheduler");
    }
}

// `bench --preset flux-schnell-shape`: black-forest-labs/FLUX.1-schnell's widths with a few blocks, random weights.
package io.diffusers4j.bench;

import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.transformers.FluxTransformer2DConfig;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;

/**
 * The configs of black-forest-labs/FLUX.1-schnell: the transformer at its real width (24 heads x 128 = 3072,
 * joint attention 4096, pooled 768, 64 packed input channels, no guidance embedding) with {@code layers}
 * double-stream and as many single-stream blocks instead of 19 + 38 (the full model is 11.9 B parameters, 48 GB in
 * float32: the benchmark times one block of each kind and scales to 19 + 38), CLIP-L (the SD-1.5 preset's text
 * tower; FLUX uses its pooled output), the SD3 preset's VAE with FLUX's factors (scaling 0.3611, shift 0.1159), and
 * FlowMatchEulerDiscreteScheduler with FLUX.1-schnell's config (shift 1.0; FluxPipeline shifts its sigmas by the
 * image sequence length). T5-XXL ({@code text_encoder_2}) is not built: its 256 rows of the prompt embedding are
 * zeros. {@link FluxWorkload} builds it in memory with seeded random weights.
 */
final class FluxPreset {
    static final String NAME = "flux-schnell-shape";
    /** FLUX.1's double-stream blocks. */
    static final int DOUBLE_BLOCKS = 19;
    /** FLUX.1's single-stream blocks. */
    static final int SINGLE_BLOCKS = 38;
    /** FLUX.1-schnell's max_sequence_length default (256 T5 tokens). */
    static final int TEXT_TOKENS = 256;
    /** The blocks of each kind built by default. */
    static final int DEFAULT_LAYERS = 1;

    private FluxPreset() {
    }

    /** transformer/config.json with {@code layers} double-stream and {@code layers} single-stream blocks. */
    static FluxTransformer2DConfig transformer(int layers) {
        JsonObject c = new JsonObject();
        c.addProperty("_class_name", "FluxTransformer2DModel");
        c.addProperty("attention_head_dim", 128);
        c.addProperty("guidance_embeds", false);
        c.addProperty("in_channels", 64);
        c.addProperty("joint_attention_dim", 4096);
        c.addProperty("num_attention_heads", 24);
        c.addProperty("num_layers", layers);
        c.addProperty("num_single_layers", layers);
        c.addProperty("patch_size", 1);
        c.addProperty("pooled_projection_dim", 768);
        return ConfigBase.fromJson(c, FluxTransformer2DConfig.class, NAME + " transformer");
    }

    /** The full transformer's config (19 + 38 blocks): what the figures are scaled to, never built. */
    static FluxTransformer2DConfig fullTransformer() {
        FluxTransformer2DConfig full = transformer(DOUBLE_BLOCKS);
        full.numSingleLayers = SINGLE_BLOCKS;
        return full;
    }

    /** text_encoder/config.json: CLIP ViT-L/14's text tower (CLIPTextModel, no projection used). */
    static CLIPTextConfig clipL() {
        return ConfigBase.fromJson(Sd15Preset.textConfigJson(), CLIPTextConfig.class, NAME + " text_encoder");
    }

    static AutoencoderKLConfig vae() {
        return Sd3Preset.vae(0.3611, 0.1159, NAME);
    }

    /** scheduler/scheduler_config.json of FLUX.1-schnell. */
    static Scheduler scheduler() {
        JsonObject c = new JsonObject();
        c.addProperty("_class_name", "FlowMatchEulerDiscreteScheduler");
        c.addProperty("base_image_seq_len", 256);
        c.addProperty("base_shift", 0.5);
        c.addProperty("max_image_seq_len", 4096);
        c.addProperty("max_shift", 1.15);
        c.addProperty("num_train_timesteps", 1000);
        c.addProperty("shift", 1.0);
        c.addProperty("use_dynamic_shifting", false);
        return Schedulers.fromConfig(c, NAME + " scheduler");
    }
}

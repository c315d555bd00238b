// The size limits of the typed configs: real checkpoints' sizes pass, each limit is inclusive, messages name the key.
package io.diffusers4j.config;

import com.google.gson.JsonObject;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.unet.UNet2DConditionConfig;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.schedulers.SchedulerConfig;
import io.diffusers4j.schedulers.Schedulers;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The limits are generous: the published configs of the largest supported checkpoints (SDXL's and SD3's VAE,
 * CLIP ViT-L and OpenCLIP ViT-bigG text encoders, SDXL's UNet; more UNets in {@code RealConfigsTest}) validate,
 * and every limit accepts its maximum and refuses one more, with the one-line message users see.
 */
class ConfigLimitsTest {
    private static final String SDXL_VAE = """
            {"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
             "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D",
             "DownEncoderBlock2D"], "force_upcast": true, "in_channels": 3, "latent_channels": 4,
             "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3, "sample_size": 1024,
             "scaling_factor": 0.13025, "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D",
             "UpDecoderBlock2D", "UpDecoderBlock2D"]}""";
    private static final String SD3_VAE = """
            {"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
             "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D",
             "DownEncoderBlock2D"], "force_upcast": true, "in_channels": 3, "latent_channels": 16,
             "latents_mean": null, "latents_std": null, "layers_per_block": 2, "mid_block_add_attention": true,
             "norm_num_groups": 32, "out_channels": 3, "sample_size": 1024, "scaling_factor": 1.5305,
             "shift_factor": 0.0609, "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D",
             "UpDecoderBlock2D"], "use_post_quant_conv": false, "use_quant_conv": false}""";
    private static final String CLIP_L = """
            {"architectures": ["CLIPTextModel"], "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 2,
             "hidden_act": "quick_gelu", "hidden_size": 768, "initializer_factor": 1.0, "initializer_range": 0.02,
             "intermediate_size": 3072, "layer_norm_eps": 1e-05, "max_position_embeddings": 77,
             "model_type": "clip_text_model", "num_attention_heads": 12, "num_hidden_layers": 12,
             "pad_token_id": 1, "projection_dim": 768, "torch_dtype": "float32", "vocab_size": 49408}""";
    private static final String CLIP_BIG_G = """
            {"architectures": ["CLIPTextModelWithProjection"], "attention_dropout": 0.0, "bos_token_id": 0,
             "dropout": 0.0, "eos_token_id": 2, "hidden_act": "gelu", "hidden_size": 1280,
             "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 5120,
             "layer_norm_eps": 1e-05, "max_position_embeddings": 77, "model_type": "clip_text_model",
             "num_attention_heads": 20, "num_hidden_layers": 32, "pad_token_id": 1, "projection_dim": 1280,
             "torch_dtype": "float16", "vocab_size": 49408}""";

    /** SDXL base's UNet config, the keys that set sizes (the whole file is in RealConfigsTest). */
    private static final String SDXL_UNET = """
            {"_class_name": "UNet2DConditionModel", "addition_embed_type": "text_time",
             "addition_time_embed_dim": 256, "attention_head_dim": [5, 10, 20], "block_out_channels": [320, 640, 1280],
             "cross_attention_dim": 2048, "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D",
             "CrossAttnDownBlock2D"], "in_channels": 4, "layers_per_block": 2, "norm_num_groups": 32,
             "out_channels": 4, "projection_class_embeddings_input_dim": 2816, "sample_size": 128,
             "transformer_layers_per_block": [1, 2, 10], "up_block_types": ["CrossAttnUpBlock2D",
             "CrossAttnUpBlock2D", "UpBlock2D"], "use_linear_projection": true}""";

    private static <T extends ConfigBase> T parse(String json, Class<T> type) {
        return ConfigBase.fromJson(ConfigBase.parseJsonObject(json, "SRC"), type, "SRC");
    }

    private static String refused(String json, Class<? extends ConfigBase> type) {
        return assertThrows(IllegalArgumentException.class, () -> parse(json, type)).getMessage();
    }

    /** {@code json} with {@code key} set to the JSON {@code value}. */
    private static String with(String json, String key, String value) {
        JsonObject o = ConfigBase.parseJsonObject(json, "SRC");
        o.add(key, ConfigBase.parseJsonObject("{\"v\": " + value + "}", "SRC").get("v"));
        return o.toString();
    }

    @Test
    void publishedConfigsOfTheLargestCheckpointsValidate() {
        assertEquals(4, parse(SDXL_VAE, AutoencoderKLConfig.class).blockOutChannels.length);
        assertEquals(16, parse(SD3_VAE, AutoencoderKLConfig.class).latentChannels);
        assertEquals(768, parse(CLIP_L, CLIPTextConfig.class).hiddenSize);
        assertEquals(32, parse(CLIP_BIG_G, CLIPTextConfig.class).numHiddenLayers);
        assertEquals(2048, parse(SDXL_UNET, UNet2DConditionConfig.class).crossAttentionDim.value());
    }

    @Test
    void eachLimitAcceptsItsMaximumAndRefusesOneMore() {
        int positions = CLIPTextConfig.MAX_POSITIONS;
        parse(with(CLIP_L, "max_position_embeddings", "" + positions), CLIPTextConfig.class);
        assertEquals("SRC: key 'max_position_embeddings' is 8193, more than the 8192 allowed",
                refused(with(CLIP_L, "max_position_embeddings", "" + (positions + 1)), CLIPTextConfig.class));
        assertEquals("SRC: key 'num_hidden_layers' is -1, less than the minimum 0",
                refused(with(CLIP_L, "num_hidden_layers", "-1"), CLIPTextConfig.class));

        int channels = AutoencoderKLConfig.MAX_CHANNELS;
        parse(with(SDXL_VAE, "block_out_channels", "[128, 256, 512, " + channels + "]"), AutoencoderKLConfig.class);
        assertEquals("SRC: key 'block_out_channels' [128, 256, 512, 16416] has 16416, more than the 16384 allowed",
                refused(with(SDXL_VAE, "block_out_channels", "[128, 256, 512, " + (channels + 32) + "]"),
                        AutoencoderKLConfig.class));
        assertEquals("SRC: key 'norm_num_groups' is 48, which does not divide block_out_channels [128, 256, 512, 512]",
                refused(with(SDXL_VAE, "norm_num_groups", "48"), AutoencoderKLConfig.class));
        assertEquals("SRC: key 'act_fn': unsupported activation 'tanhh' (supported: silu, swish, gelu, gelu_new, "
                + "gelu_pytorch_tanh, quick_gelu, relu, mish)", refused(with(SDXL_VAE, "act_fn", "\"tanhh\""),
                AutoencoderKLConfig.class));

        String unet = SDXL_UNET;
        parse(with(unet, "sample_size", "" + UNet2DConditionConfig.MAX_SAMPLE_SIZE), UNet2DConditionConfig.class);
        assertEquals("SRC: key 'sample_size' is -64, less than the minimum 1",
                refused(with(unet, "sample_size", "-64"), UNet2DConditionConfig.class));
        assertEquals("SRC: key 'transformer_layers_per_block' [1, 2, 257] has 257, more than the 256 allowed",
                refused(with(unet, "transformer_layers_per_block", "[1, 2, 257]"), UNet2DConditionConfig.class));

        String ddim = "{\"_class_name\": \"DDIMScheduler\", \"num_train_timesteps\": %d, \"steps_offset\": 1}";
        Schedulers.fromConfig(ConfigBase.parseJsonObject(String.format(ddim, SchedulerConfig.MAX_TRAIN_TIMESTEPS),
                "SRC"), "SRC");
        assertEquals("SRC: key 'num_train_timesteps' is 100001, more than the 100000 allowed",
                assertThrows(IllegalArgumentException.class, () -> Schedulers.fromConfig(ConfigBase.parseJsonObject(
                        String.format(ddim, SchedulerConfig.MAX_TRAIN_TIMESTEPS + 1), "SRC"), "SRC")).getMessage());
    }

    @Test
    void integersMustFitTheirJavaType() {
        // Gson alone turns 1e300 into the int 0 and 10^18 into -1486618624
        assertEquals("SRC: key 'layers_per_block' has value 1e300 which is not an integer in [-2147483648, "
                + "2147483647]", refused(with(SDXL_VAE, "layers_per_block", "1e300"), AutoencoderKLConfig.class));
        assertEquals("SRC: key 'block_out_channels' has value [128,1000000000000000000] which is not a list of "
                + "integers in [-2147483648, 2147483647]", refused(with(SDXL_VAE, "block_out_channels",
                "[128, 1000000000000000000]"), AutoencoderKLConfig.class));
        assertEquals("SRC: key '_class_name' must be a class name, got {}",
                refused(with(SDXL_VAE, "_class_name", "{}"), AutoencoderKLConfig.class));
    }
}

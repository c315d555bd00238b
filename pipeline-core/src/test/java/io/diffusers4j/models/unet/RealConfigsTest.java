// The config.json files of SD 1.5, SD 2.1 and SDXL base (as published in their diffusers repos) read, validate and,
// shrunk to test size, build and run.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.models.ModelTestSupport;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RealConfigsTest {
    static final String SD15 = """
            {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.6.0", "act_fn": "silu",
             "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": false,
             "cross_attention_dim": 768, "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
             "CrossAttnDownBlock2D", "DownBlock2D"], "downsample_padding": 1, "flip_sin_to_cos": true,
             "freq_shift": 0, "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1,
             "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]}""";

    static final String SD21 = """
            {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.10.0.dev0", "act_fn": "silu",
             "attention_head_dim": [5, 10, 20, 20], "block_out_channels": [320, 640, 1280, 1280],
             "center_input_sample": false, "cross_attention_dim": 1024, "down_block_types": [
             "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
             "downsample_padding": 1, "dual_cross_attention": false, "flip_sin_to_cos": true, "freq_shift": 0,
             "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05,
             "norm_num_groups": 32, "num_class_embeds": null, "only_cross_attention": false, "out_channels": 4,
             "sample_size": 96, "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
             "CrossAttnUpBlock2D"], "upcast_attention": true, "use_linear_projection": true}""";

    static final String SDXL = """
            {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.19.0.dev0", "act_fn": "silu",
             "addition_embed_type": "text_time", "addition_embed_type_num_heads": 64, "addition_time_embed_dim": 256,
             "attention_head_dim": [5, 10, 20], "block_out_channels": [320, 640, 1280], "center_input_sample": false,
             "class_embed_type": null, "class_embeddings_concat": false, "conv_in_kernel": 3, "conv_out_kernel": 3,
             "cross_attention_dim": 2048, "cross_attention_norm": null, "down_block_types": ["DownBlock2D",
             "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"], "downsample_padding": 1, "dual_cross_attention": false,
             "encoder_hid_dim": null, "encoder_hid_dim_type": null, "flip_sin_to_cos": true, "freq_shift": 0,
             "in_channels": 4, "layers_per_block": 2, "mid_block_only_cross_attention": null,
             "mid_block_scale_factor": 1, "mid_block_type": "UNetMidBlock2DCrossAttn", "norm_eps": 1e-05,
             "norm_num_groups": 32, "num_attention_heads": null, "num_class_embeds": null,
             "only_cross_attention": false, "out_channels": 4, "projection_class_embeddings_input_dim": 2816,
             "resnet_out_scale_factor": 1.0, "resnet_skip_time_act": false, "resnet_time_scale_shift": "default",
             "sample_size": 128, "time_cond_proj_dim": null, "time_embedding_act_fn": null,
             "time_embedding_dim": null, "time_embedding_type": "positional", "timestep_post_act": null,
             "transformer_layers_per_block": [1, 2, 10], "up_block_types": ["CrossAttnUpBlock2D",
             "CrossAttnUpBlock2D", "UpBlock2D"], "upcast_attention": null, "use_linear_projection": true}""";

    static UNet2DConditionConfig parse(String json, String name) {
        return ConfigBase.fromJson(ConfigBase.parseJsonObject(json, name), UNet2DConditionConfig.class, name);
    }

    @Test
    void publishedConfigsReadAndAreSupported() {
        UNet2DConditionConfig sd15 = parse(SD15, "sd15");
        assertArrayEquals(new int[] {8, 8, 8, 8}, sd15.headsPerBlock());
        assertEquals(1280, sd15.timeEmbedDim());
        UNet2DConditionModel.checkSupported(sd15);

        UNet2DConditionConfig sd21 = parse(SD21, "sd21");
        assertArrayEquals(new int[] {5, 10, 20, 20}, sd21.headsPerBlock());
        assertTrue(UNet2DConditionConfig.isTrue(sd21.upcastAttention));
        UNet2DConditionModel.checkSupported(sd21);

        UNet2DConditionConfig sdxl = parse(SDXL, "sdxl");
        assertFalse(UNet2DConditionConfig.isTrue(sdxl.upcastAttention), "null means false");
        assertEquals(IntOrList.of(1, 2, 10), sdxl.transformerLayersPerBlock);
        UNet2DConditionModel.checkSupported(sdxl);
        // unknown keys are kept for saving; known ones round-trip
        assertEquals(sdxl.toJson().get("upcast_attention").toString(), "null");
    }

    @Test
    void shrunkSdxlBuildsAndRuns() {
        UNet2DConditionConfig cfg = parse(SDXL, "sdxl");
        cfg.blockOutChannels = new int[] {40, 80, 80};
        cfg.normNumGroups = 8;
        try (NDManager m = NDManager.newBaseManager();
             UNet2DConditionModel unet = UNet2DConditionModel.randomInit(cfg, 1, m, DataType.FLOAT32)) {
            Map<String, NDArray> sd = unet.stateDict();
            assertEquals(new Shape(160, 2816), sd.get("add_embedding.linear_1.weight").getShape());
            assertTrue(sd.containsKey("mid_block.attentions.0.transformer_blocks.9.attn2.to_k.weight"));
            assertEquals(new Shape(80, 2048),
                    sd.get("up_blocks.0.attentions.2.transformer_blocks.9.attn2.to_k.weight").getShape());
            assertTrue(sd.containsKey("up_blocks.1.attentions.2.transformer_blocks.1.ff.net.2.weight"));
            assertFalse(sd.containsKey("up_blocks.1.attentions.2.transformer_blocks.2.ff.net.2.weight"));
            NDArray out = unet.forward(ModelTestSupport.randn(m, 1, 2, 4, 8, 8), m.create(999L),
                    ModelTestSupport.randn(m, 2, 2, 5, 2048),
                    Map.of("text_embeds", ModelTestSupport.randn(m, 3, 2, 1280),
                            "time_ids", m.create(new float[] {1024, 1024, 0, 0, 1024, 1024, 1024, 1024, 0, 0, 1024,
                                1024}, new Shape(2, 6))));
            assertEquals(new Shape(2, 4, 8, 8), out.getShape());
            assertTrue(Double.isFinite(ModelTestSupport.maxAbs(out)));
        }
    }
}

// The UNet block configs against the __init__ defaults and channel rules of diffusers 0.30.3's unet_2d_blocks.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.ResnetBlock2DConfig;
import io.diffusers4j.models.blocks.Transformer2DModelConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UNetBlockConfigsTest {
    @Test
    void defaultsAreDiffusers() {
        // DownBlock2D(in_channels, out_channels, temb_channels, num_layers=1, resnet_eps=1e-6,
        // resnet_time_scale_shift="default", resnet_act_fn="swish", resnet_groups=32, output_scale_factor=1.0,
        // add_downsample=True, downsample_padding=1)
        ResnetArgs resnetDefaults = new ResnetArgs(1e-6, "default", "swish", 32, 1.0);
        assertEquals(new DownBlock2DConfig(320, 640, 1280, 1, resnetDefaults, true, 1),
                DownBlock2DConfig.of(320, 640, 1280));
        // UpBlock2D(in_channels, prev_output_channel, out_channels, temb_channels, num_layers=1, ...,
        // add_upsample=True)
        assertEquals(new UpBlock2DConfig(320, 640, 640, 1280, 1, resnetDefaults, true),
                UpBlock2DConfig.of(320, 640, 640, 1280));
        // CrossAttnDownBlock2D(..., transformer_layers_per_block=1, num_attention_heads=1, cross_attention_dim=1280,
        // use_linear_projection=False, only_cross_attention=False, upcast_attention=False)
        assertEquals(new CrossAttnConfig(1, 1, 1280, false, false, false), CrossAttnConfig.defaults());
    }

    @Test
    void upBlockResnetsTakeTheSkipConnections() {
        UpBlock2DConfig up = UpBlock2DConfig.of(320, 1280, 640, 1280).withNumLayers(3)
                .withResnetArgs(ResnetArgs.defaults().withResnetGroups(16).withResnetEps(1e-5).withResnetActFn("silu")
                        .withResnetTimeScaleShift("scale_shift"));
        // diffusers: res_skip_channels = in_channels if i == num_layers - 1 else out_channels;
        // resnet_in_channels = prev_output_channel if i == 0 else out_channels
        assertEquals(new ResnetBlock2DConfig(1280 + 640, 640, 1280, 16, null, 1e-5, "silu", false, "scale_shift",
                1.0), up.resnet(0));
        assertEquals(640 + 640, up.resnet(1).inChannels());
        assertEquals(640 + 320, up.resnet(2).inChannels());
        DownBlock2DConfig down = DownBlock2DConfig.of(320, 640, 1280).withNumLayers(2);
        assertEquals(320, down.resnet(0).inChannels());
        assertEquals(640, down.resnet(1).inChannels());
        assertEquals(640, down.resnet(1).resolvedOutChannels());
    }

    @Test
    void transformersSplitTheBlockChannelsIntoHeads() {
        CrossAttnConfig attention = CrossAttnConfig.defaults().withNumAttentionHeads(10)
                .withTransformerLayersPerBlock(2).withCrossAttentionDim(2048).withUseLinearProjection(true)
                .withOnlyCrossAttention(true).withUpcastAttention(true);
        DownBlock2DConfig block = DownBlock2DConfig.of(320, 640, 1280)
                .withResnetArgs(ResnetArgs.defaults().withResnetGroups(16));
        assertEquals(Transformer2DModelConfig.of(640).withNumAttentionHeads(10).withAttentionHeadDim(64)
                .withNumLayers(2).withNormNumGroups(16).withCrossAttentionDim(2048).withUseLinearProjection(true)
                .withOnlyCrossAttention(true).withUpcastAttention(true), attention.transformer(block));
    }

    @Test
    void invalidValuesAreNamed() {
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> DownBlock2DConfig.of(320, 0, 1280).validate()), "DownBlock2D: out_channels must be >= 1, got 0");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> UpBlock2DConfig.of(320, -1, 640, 1280).validate()), "prev_output_channel", "-1");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> CrossAttnConfig.defaults().withNumAttentionHeads(0).validate("CrossAttnUpBlock2D")),
                "CrossAttnUpBlock2D: num_attention_heads must be >= 1, got 0");
    }

    @Test
    void crossAttentionBlocksNeedACrossAttentionDim() {
        UNet2DConditionConfig cfg = UNetConfigurationsTest.listHeadsConfig();
        cfg.crossAttentionDim = null;
        try (NDManager manager = NDManager.newBaseManager()) {
            assertMessage(assertThrows(IllegalArgumentException.class,
                    () -> UNet2DConditionModel.randomInit(cfg, 0, manager, DataType.FLOAT32)),
                    "cross_attention_dim must be specified for CrossAttnDownBlock2D");
        }
    }

    private static void assertMessage(IllegalArgumentException thrown, String... parts) {
        for (String part : parts) {
            assertTrue(thrown.getMessage().contains(part), "'" + part + "' not in: " + thrown.getMessage());
        }
    }
}

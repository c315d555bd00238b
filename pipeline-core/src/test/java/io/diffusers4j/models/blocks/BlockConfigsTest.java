// The block configs against the __init__ defaults and channel rules of diffusers 0.30.3's blocks.
package io.diffusers4j.models.blocks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockConfigsTest {
    @Test
    void defaultsAreDiffusers() {
        // ResnetBlock2D(*, in_channels, out_channels=None, temb_channels=512, groups=32, groups_out=None, eps=1e-6,
        // non_linearity="swish", skip_time_act=False, time_embedding_norm="default", output_scale_factor=1.0)
        assertEquals(new ResnetBlock2DConfig(64, null, 512, 32, null, 1e-6, "swish", false, "default", 1.0),
                ResnetBlock2DConfig.of(64));
        // BasicTransformerBlock(dim, num_attention_heads, attention_head_dim, cross_attention_dim=None,
        // activation_fn="geglu", attention_bias=False, only_cross_attention=False, double_self_attention=False,
        // upcast_attention=False, norm_elementwise_affine=True, norm_type="layer_norm", norm_eps=1e-5)
        assertEquals(new BasicTransformerBlockConfig(320, 8, 40, null, "geglu", false, false, false, false, true,
                "layer_norm", 1e-5), BasicTransformerBlockConfig.of(320, 8, 40));
        // Transformer2DModel(num_attention_heads=16, attention_head_dim=88, in_channels=None, out_channels=None,
        // num_layers=1, norm_num_groups=32, cross_attention_dim=None, attention_bias=False, activation_fn="geglu",
        // use_linear_projection=False, only_cross_attention=False, double_self_attention=False,
        // upcast_attention=False, norm_type="layer_norm", norm_elementwise_affine=True, norm_eps=1e-5)
        assertEquals(new Transformer2DModelConfig(16, 88, 320, null, 1, 32, null, false, "geglu", false, false, false,
                false, "layer_norm", true, 1e-5), Transformer2DModelConfig.of(320));
        // FeedForward(dim, dim_out=None, mult=4, activation_fn="geglu", inner_dim=None, bias=True)
        assertEquals(new FeedForwardConfig(320, null, 4, "geglu", null, true), FeedForwardConfig.of(320));
        // TimestepEmbedding(in_channels, time_embed_dim, act_fn="silu", out_dim=None, post_act_fn=None,
        // cond_proj_dim=None, sample_proj_bias=True)
        assertEquals(new TimestepEmbeddingConfig(320, 1280, "silu", null, null, null, true),
                TimestepEmbeddingConfig.of(320, 1280));
        // the blocks' resnet_eps=1e-6, resnet_time_scale_shift="default", resnet_act_fn="swish", resnet_groups=32,
        // output_scale_factor=1.0
        ResnetArgs resnetDefaults = new ResnetArgs(1e-6, "default", "swish", 32, 1.0);
        assertEquals(resnetDefaults, ResnetArgs.defaults());
        // UNetMidBlock2D(in_channels, temb_channels, num_layers=1, ..., attn_groups=None, add_attention=True,
        // attention_head_dim=1)
        assertEquals(new UNetMidBlock2DConfig(512, null, 1, resnetDefaults, null, true, 1),
                UNetMidBlock2DConfig.of(512, null));
        // DownEncoderBlock2D(in_channels, out_channels, num_layers=1, ..., add_downsample=True, downsample_padding=1)
        assertEquals(new DownEncoderBlock2DConfig(128, 256, 1, resnetDefaults, true, 1),
                DownEncoderBlock2DConfig.of(128, 256));
        // UpDecoderBlock2D(in_channels, out_channels, num_layers=1, ..., add_upsample=True, temb_channels=None)
        assertEquals(new UpDecoderBlock2DConfig(512, 256, 1, resnetDefaults, true, null),
                UpDecoderBlock2DConfig.of(512, 256));
    }

    @Test
    void withersChangeOneArgument() {
        ResnetBlock2DConfig base = ResnetBlock2DConfig.of(320);
        ResnetBlock2DConfig changed = base.withOutChannels(640).withTembChannels(null).withGroups(16)
                .withGroupsOut(8).withEps(1e-5).withNonLinearity("gelu").withSkipTimeAct(true)
                .withTimeEmbeddingNorm("group").withOutputScaleFactor(2.0);
        assertEquals(new ResnetBlock2DConfig(320, 640, null, 16, 8, 1e-5, "gelu", true, "group", 2.0), changed);
        assertEquals(ResnetBlock2DConfig.of(320), base);
        assertEquals(640, changed.resolvedOutChannels());
        assertEquals(8, changed.resolvedGroupsOut());
        assertEquals(320, base.resolvedOutChannels());
        assertEquals(32, base.resolvedGroupsOut());
    }

    @Test
    void resnetsOfABlockFollowDiffusersChannelRule() {
        DownEncoderBlock2DConfig down = DownEncoderBlock2DConfig.of(128, 256).withNumLayers(2)
                .withResnetArgs(ResnetArgs.defaults().withResnetEps(1e-5).withResnetActFn("silu").withResnetGroups(16)
                        .withResnetTimeScaleShift("default").withOutputScaleFactor(1.5));
        // resnets.0: in_channels -> out_channels, then out_channels -> out_channels; no time embedding
        assertEquals(new ResnetBlock2DConfig(128, 256, null, 16, null, 1e-5, "silu", false, "default", 1.5),
                down.resnet(0));
        assertEquals(256, down.resnet(1).inChannels());
        UNetMidBlock2DConfig mid = UNetMidBlock2DConfig.of(512, 1280);
        assertEquals(512, mid.resnet(0).inChannels());
        assertEquals(512, mid.resnet(1).resolvedOutChannels());
        assertEquals(1280, mid.resnet(1).tembChannels());
    }

    @Test
    void midBlockResolvesItsNoneArguments() {
        ResnetArgs resnetArgs = ResnetArgs.defaults().withResnetGroups(16);
        UNetMidBlock2DConfig mid = UNetMidBlock2DConfig.of(512, null).withResnetArgs(resnetArgs);
        UNetMidBlock2DConfig scaleShift = mid.withResnetArgs(resnetArgs.withResnetTimeScaleShift("scale_shift"));
        // attn_groups None: resnet_groups with "default", none otherwise; attention_head_dim None: in_channels
        assertEquals(16, mid.resolvedAttnGroups());
        assertNull(scaleShift.resolvedAttnGroups());
        assertEquals(4, scaleShift.withAttnGroups(4).resolvedAttnGroups());
        assertEquals(1, mid.resolvedAttentionHeadDim());
        assertEquals(512, mid.withAttentionHeadDim(null).resolvedAttentionHeadDim());
    }

    @Test
    void transformerBlocksInheritTheModelArguments() {
        Transformer2DModelConfig model = Transformer2DModelConfig.of(640).withNumAttentionHeads(10)
                .withAttentionHeadDim(64).withCrossAttentionDim(2048).withOnlyCrossAttention(true)
                .withUpcastAttention(true).withAttentionBias(true).withActivationFn("gelu").withNormEps(1e-6);
        assertEquals(640, model.innerDim());
        assertEquals(new BasicTransformerBlockConfig(640, 10, 64, 2048, "gelu", true, true, false, true, true,
                "layer_norm", 1e-6), model.transformerBlock());
        assertEquals(FeedForwardConfig.of(640).withActivationFn("gelu"), model.transformerBlock().feedForward());
        assertTrue(model.transformerBlock().hasCrossAttention());
        assertTrue(BasicTransformerBlockConfig.of(64, 1, 64).withDoubleSelfAttention(true).hasCrossAttention());
        assertEquals(false, BasicTransformerBlockConfig.of(64, 1, 64).hasCrossAttention());
    }

    @Test
    void invalidValuesAreNamed() {
        assertMessage(() -> ResnetBlock2DConfig.of(0).validate(), "ResnetBlock2D: in_channels must be >= 1, got 0");
        assertMessage(() -> ResnetBlock2DConfig.of(8).withGroupsOut(-2).validate(), "groups_out", "-2");
        assertMessage(() -> ResnetBlock2DConfig.of(8).withTimeEmbeddingNorm("spatial").validate(), "'spatial'",
                "ResnetBlockCondNorm2D");
        assertMessage(() -> ResnetBlock2DConfig.of(8).withTimeEmbeddingNorm("group").validate(), "group",
                "supported: default, scale_shift");
        // without a time embedding, the VAE decoder's "group" means nothing and is accepted
        ResnetBlock2DConfig.of(8).withTembChannels(null).withTimeEmbeddingNorm("group").validate();
        assertMessage(() -> ResnetBlock2DConfig.of(8).withNonLinearity("tanh").validate(), "'tanh'");
        assertMessage(() -> ResnetBlock2DConfig.of(8).withNonLinearity(null).validate(), "non_linearity", "null");
        assertMessage(() -> FeedForwardConfig.of(8).withActivationFn("swiglu").validate(), "activation_fn 'swiglu'",
                "geglu, gelu, gelu-approximate, geglu-approximate");
        assertMessage(() -> BasicTransformerBlockConfig.of(8, 1, 8).withNormType("ada_norm").validate(),
                "norm_type 'ada_norm'");
        assertMessage(() -> BasicTransformerBlockConfig.of(8, 1, 8).withNormElementwiseAffine(false).validate(),
                "norm_elementwise_affine false");
        assertMessage(() -> Transformer2DModelConfig.of(320).withOutChannels(640).validate(), "out_channels 640",
                "in_channels 320");
        assertMessage(() -> Transformer2DModelConfig.of(320).withNumAttentionHeads(0).validate(),
                "num_attention_heads must be >= 1, got 0");
        assertMessage(() -> TimestepEmbeddingConfig.of(320, 1280).withCondProjDim(0).validate(), "cond_proj_dim");
        assertMessage(() -> TimestepEmbeddingConfig.of(320, 1280).withPostActFn("tanh").validate(), "'tanh'");
        assertMessage(() -> DownEncoderBlock2DConfig.of(8, 16).withNumLayers(-1).validate(),
                "DownEncoderBlock2D: num_layers must be >= 0, got -1");
        assertMessage(() -> DownEncoderBlock2DConfig.of(8, 16).withDownsamplePadding(-1).validate(),
                "downsample_padding");
        assertMessage(() -> UpDecoderBlock2DConfig.of(0, 16).validate(), "UpDecoderBlock2D: in_channels");
        assertMessage(() -> UNetMidBlock2DConfig.of(8, null).withAttentionHeadDim(0).validate(),
                "attention_head_dim must be >= 1, got 0");
        assertMessage(() -> UNetMidBlock2DConfig.of(8, null).withResnetArgs(null).validate(),
                "UNetMidBlock2D: resnet arguments must be set");
    }

    static void assertMessage(Executable call, String... parts) {
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(thrown.getMessage().contains(part), "'" + part + "' not in: " + thrown.getMessage());
        }
    }
}

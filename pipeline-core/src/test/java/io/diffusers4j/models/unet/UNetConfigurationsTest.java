// UNet configurations beyond the fixture: list head dims, linear projections, SDXL additions, float16, save/reload,
// strict loading and unsupported values.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.SafetensorsWriter;
import io.diffusers4j.weights.TensorInfo;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightLoadException;
import io.diffusers4j.weights.WeightScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UNetConfigurationsTest {
    /** Three blocks, a LIST attention_head_dim (heads per block) and linear projections (SD 2.x style). */
    static UNet2DConditionConfig listHeadsConfig() {
        UNet2DConditionConfig c = new UNet2DConditionConfig();
        c.sampleSize = IntOrList.of(16);
        c.blockOutChannels = new int[] {16, 32, 32};
        c.downBlockTypes = List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D");
        c.upBlockTypes = List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D");
        c.attentionHeadDim = IntOrList.of(2, 4, 8);
        c.useLinearProjection = true;
        c.crossAttentionDim = IntOrList.of(24);
        c.layersPerBlock = IntOrList.of(1);
        c.normNumGroups = 8;
        c.upcastAttention = true;
        c.onlyCrossAttention = BoolOrList.of(true, false, false);
        return c;
    }

    private static Path fixtureUnet() {
        return Fixtures.tinySd().resolve("unet");
    }

    private static UNet2DConditionConfig fixtureConfig() {
        return ConfigBase.load(fixtureUnet().resolve("config.json"), UNet2DConditionConfig.class);
    }

    @Test
    void listHeadDimsAndLinearProjectionSaveAndReloadBitExactly(@TempDir Path tmp) throws Exception {
        UNet2DConditionConfig cfg = listHeadsConfig();
        try (NDManager m = NDManager.newBaseManager();
             UNet2DConditionModel unet = UNet2DConditionModel.randomInit(cfg, 42, m, DataType.FLOAT32)) {
            assertEquals(2, unet.numUpsamplers());
            // heads per attention (attn1, attn2 per transformer block): down 0 has 2 heads of 8 channels, the up
            // blocks have layers_per_block + 1 = 2 transformers each, over the reversed head list
            assertEquals(List.of(2, 2, 4, 4, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2),
                    unet.attentionModules().stream().map(a -> a.heads()).collect(Collectors.toList()));
            Map<String, NDArray> sd = unet.stateDict();
            assertEquals(new Shape(16, 16), sd.get("down_blocks.0.attentions.0.proj_in.weight").getShape());
            assertEquals(new Shape(32, 24),
                    sd.get("up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_k.weight").getShape());
            // only_cross_attention [true, false, false]: attn1 of down block 0 and of up block 2 (reversed) attends
            // to the text (to_k reads cross_attention_dim 24), the others to the image tokens
            assertEquals(new Shape(16, 24),
                    sd.get("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.weight").getShape());
            assertEquals(new Shape(16, 24),
                    sd.get("up_blocks.2.attentions.1.transformer_blocks.0.attn1.to_k.weight").getShape());
            assertEquals(new Shape(32, 32),
                    sd.get("up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight").getShape());
            assertEquals(new Shape(256, 32), sd.get("mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight")
                    .getShape());

            NDArray sample = ModelTestSupport.randn(m, 113, 2, 4, 16, 16);
            NDArray ehs = ModelTestSupport.randn(m, 114, 2, 7, 24);
            NDArray out = unet.forward(sample, m.create(new float[] {10f, 700f}), ehs);
            assertEquals(new Shape(2, 4, 16, 16), out.getShape());
            assertTrue(ModelTestSupport.maxAbs(out) > 0 && Double.isFinite(ModelTestSupport.maxAbs(out)));
            NDArray odd = unet.forward(ModelTestSupport.randn(m, 115, 1, 4, 10, 14), 3,
                    ModelTestSupport.randn(m, 116, 1, 7, 24));
            assertEquals(new Shape(1, 4, 10, 14), odd.getShape());

            // save_pretrained-style round trip: config.json + safetensors, then a strict load
            Path dir = tmp.resolve("unet");
            cfg.save(dir.resolve("config.json"));
            SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), sd, null,
                    Map.of("format", "pt"));
            UNet2DConditionConfig reread = ConfigBase.load(dir.resolve("config.json"), UNet2DConditionConfig.class);
            assertEquals(cfg.attentionHeadDim, reread.attentionHeadDim);
            try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("diffusion_pytorch_model.safetensors"));
                 UNet2DConditionModel again = UNet2DConditionModel.load(reread, st, m, DataType.FLOAT32)) {
                assertEquals(sd.keySet(), again.stateDict().keySet());
                NDArray out2 = again.forward(sample, m.create(new float[] {10f, 700f}), ehs);
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(out, out2), "reloaded model differs");
            }
        }
    }

    @Test
    void sdxlTextTimeAdditionAndPerBlockTransformerDepth() {
        UNet2DConditionConfig c = new UNet2DConditionConfig();
        c.blockOutChannels = new int[] {16, 32};
        c.downBlockTypes = List.of("DownBlock2D", "CrossAttnDownBlock2D");
        c.upBlockTypes = List.of("CrossAttnUpBlock2D", "UpBlock2D");
        c.attentionHeadDim = IntOrList.of(2, 4);
        c.transformerLayersPerBlock = IntOrList.of(1, 2);
        c.useLinearProjection = true;
        c.crossAttentionDim = IntOrList.of(32);
        c.layersPerBlock = IntOrList.of(2);
        c.normNumGroups = 8;
        c.additionEmbedType = "text_time";
        c.additionTimeEmbedDim = 8;
        c.projectionClassEmbeddingsInputDim = 20 + 6 * 8;
        try (NDManager m = NDManager.newBaseManager();
             UNet2DConditionModel unet = UNet2DConditionModel.randomInit(c, 3, m, DataType.FLOAT32)) {
            Map<String, NDArray> sd = unet.stateDict();
            assertEquals(new Shape(64, 68), sd.get("add_embedding.linear_1.weight").getShape());
            assertTrue(sd.containsKey("down_blocks.1.attentions.1.transformer_blocks.1.attn1.to_q.weight"));
            assertTrue(sd.containsKey("mid_block.attentions.0.transformer_blocks.1.ff.net.2.weight"));
            assertFalse(sd.containsKey("mid_block.attentions.0.transformer_blocks.2.ff.net.2.weight"));
            NDArray sample = ModelTestSupport.randn(m, 117, 2, 4, 8, 8);
            NDArray ehs = ModelTestSupport.randn(m, 118, 2, 5, 32);
            NDArray text = ModelTestSupport.randn(m, 119, 2, 20);
            NDArray ids = m.create(new float[] {64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64}, new Shape(2, 6));
            NDArray t = m.create(500L);
            NDArray out = unet.forward(sample, t, ehs, Map.of("text_embeds", text, "time_ids", ids));
            assertEquals(new Shape(2, 4, 8, 8), out.getShape());
            NDArray ids2 = m.create(new float[] {128, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64}, new Shape(2, 6));
            NDArray out2 = unet.forward(sample, t, ehs, Map.of("text_embeds", text, "time_ids", ids2));
            assertTrue(ModelTestSupport.maxAbsDiff(out.get("0"), out2.get("0")) > 0, "time_ids must matter");
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(out.get("1"), out2.get("1")), "rows are independent");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> unet.forward(sample, t, ehs, Map.of("text_embeds", text)));
            assertTrue(e.getMessage().contains("time_ids"), e.getMessage());
        }
    }

    @Test
    void timeEmbeddingOptionsAndScaleShiftResnets() {
        UNet2DConditionConfig c = new UNet2DConditionConfig();
        c.blockOutChannels = new int[] {16, 32};
        c.downBlockTypes = List.of("DownBlock2D", "CrossAttnDownBlock2D");
        c.upBlockTypes = List.of("CrossAttnUpBlock2D", "UpBlock2D");
        c.attentionHeadDim = IntOrList.of(2);
        c.crossAttentionDim = IntOrList.of(8);
        c.layersPerBlock = IntOrList.of(1);
        c.normNumGroups = 8;
        c.resnetTimeScaleShift = "scale_shift";
        c.timeCondProjDim = 6;
        c.timeEmbeddingActFn = "silu";
        c.timestepPostAct = "mish";
        c.centerInputSample = true;
        c.inChannels = 9; // inpainting layout: latents + mask + masked-image latents
        try (NDManager m = NDManager.newBaseManager();
             UNet2DConditionModel unet = UNet2DConditionModel.randomInit(c, 9, m, DataType.FLOAT32)) {
            Map<String, NDArray> sd = unet.stateDict();
            assertEquals(new Shape(32, 64), sd.get("down_blocks.0.resnets.0.time_emb_proj.weight").getShape());
            assertEquals(new Shape(16, 6), sd.get("time_embedding.cond_proj.weight").getShape());
            assertEquals(new Shape(16, 9, 3, 3), sd.get("conv_in.weight").getShape());
            NDArray sample = ModelTestSupport.randn(m, 30, 1, 9, 8, 8);
            NDArray ehs = ModelTestSupport.randn(m, 31, 1, 4, 8);
            NDArray t = m.create(100L);
            NDArray plain = unet.forward(sample, t, ehs);
            assertEquals(new Shape(1, 4, 8, 8), plain.getShape());
            NDArray cond = unet.forward(new UNetInputs(sample, t, ehs).timestepCond(ModelTestSupport.randn(m, 32, 1, 6)));
            assertTrue(ModelTestSupport.maxAbsDiff(plain, cond) > 0, "timestep_cond must matter");
        }
    }

    @Test
    void float16RunsAndTracksFloat32() {
        UNet2DConditionConfig cfg = listHeadsConfig();
        try (NDManager m = NDManager.newBaseManager();
             UNet2DConditionModel u32 = UNet2DConditionModel.randomInit(cfg, 5, m, DataType.FLOAT32);
             UNet2DConditionModel u16 = UNet2DConditionModel.randomInit(cfg, 5, m, DataType.FLOAT16)) {
            NDArray sample = ModelTestSupport.randn(m, 120, 1, 4, 8, 8);
            NDArray ehs = ModelTestSupport.randn(m, 121, 1, 3, 24);
            NDArray ref = u32.forward(sample, 250, ehs);
            NDArray half = u16.forward(sample.toType(DataType.FLOAT16, false), 250,
                    ehs.toType(DataType.FLOAT16, false));
            assertEquals(DataType.FLOAT16, half.getDataType());
            double diff = ModelTestSupport.maxAbsDiff(half, ref);
            System.out.printf("UNet float16 vs float32: max abs diff %.3g (output max abs %.3g)%n", diff,
                    ModelTestSupport.maxAbs(ref));
            assertTrue(diff < 0.02 * Math.max(1, ModelTestSupport.maxAbs(ref)), "fp16 drifted: " + diff);
            assertThrows(IllegalArgumentException.class, () -> u16.forward(sample, 250, ehs), "dtype mismatch");
        }
    }

    @Test
    void strictLoadingReportsShapeMismatchesWithBothShapes() {
        UNet2DConditionConfig cfg = fixtureConfig();
        cfg.crossAttentionDim = IntOrList.of(48);
        try (NDManager m = NDManager.newBaseManager();
             SafetensorsFile st = SafetensorsFile.open(fixtureUnet().resolve("diffusion_pytorch_model.safetensors"))) {
            // loading checks the config's sizes against the checkpoint's header first, naming the key
            IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                    () -> UNet2DConditionModel.load(cfg, st, m, DataType.FLOAT32));
            assertFalse(k instanceof WeightLoadException, k.getMessage());
            assertTrue(k.getMessage().contains("key 'cross_attention_dim' is 48 but " + st.describe() + " has "
                    + "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight of shape [64, 32] (48 "
                    + "expected in dimension 1)"), k.getMessage());
            assertEquals(0, m.getManagedArrays().size(), "refused before anything was read");
            // strict loading itself still reports every mismatch with both shapes
            WeightScope root = WeightScope.load(st, m, DataType.FLOAT32);
            UNet2DConditionModel.load(cfg, root);
            WeightLoadException e = assertThrows(WeightLoadException.class, root::finish);
            assertEquals(12, e.mismatched().size(), e.getMessage()); // to_k and to_v of 6 transformer blocks
            assertTrue(e.getMessage().contains(
                    "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight: checkpoint [64, 32] vs model "
                            + "[64, 48]"), e.getMessage());
            assertTrue(e.missing().isEmpty() && e.unused().isEmpty());
        }
    }

    @Test
    void strictLoadingListsEveryUnusedAndMissingKey() {
        UNet2DConditionConfig noAttn = fixtureConfig();
        noAttn.downBlockTypes = List.of("DownBlock2D", "DownBlock2D");
        noAttn.upBlockTypes = List.of("UpBlock2D", "UpBlock2D");
        noAttn.midBlockType = "UNetMidBlock2D";
        try (NDManager m = NDManager.newBaseManager();
             SafetensorsFile st = SafetensorsFile.open(fixtureUnet().resolve("diffusion_pytorch_model.safetensors"))) {
            WeightLoadException e = assertThrows(WeightLoadException.class,
                    () -> UNet2DConditionModel.load(noAttn, st, m, DataType.FLOAT32));
            Set<String> attentionKeys = st.keys().stream().filter(k -> k.contains(".attentions."))
                    .collect(Collectors.toSet());
            // the mid block of UNetMidBlock2D has one resnet only
            Set<String> midResnet1 = st.keys().stream().filter(k -> k.startsWith("mid_block.resnets.1."))
                    .collect(Collectors.toSet());
            assertEquals(attentionKeys.size() + midResnet1.size(), e.unused().size(), e.getMessage());
            assertTrue(e.unused().containsAll(attentionKeys));
            assertTrue(e.missing().isEmpty());

            // a checkpoint with two tensors removed: both reported as missing, with their shapes
            TensorSource partial = without(st, Set.of("conv_in.weight", "up_blocks.1.resnets.2.conv2.bias"));
            WeightLoadException e2 = assertThrows(WeightLoadException.class,
                    () -> UNet2DConditionModel.load(fixtureConfig(), partial, m, DataType.FLOAT32));
            assertEquals(List.of("conv_in.weight [32, 4, 3, 3]", "up_blocks.1.resnets.2.conv2.bias [32]"),
                    e2.missing());
        }
    }

    @Test
    void unsupportedValuesAreNamedWithTheSupportedOnes() {
        UNet2DConditionConfig a = fixtureConfig();
        a.downBlockTypes = List.of("DownBlock2D", "AttnDownBlock2D");
        assertMessage(a, "'AttnDownBlock2D'", "DownBlock2D, CrossAttnDownBlock2D");
        UNet2DConditionConfig b = fixtureConfig();
        b.upBlockTypes = List.of("SimpleCrossAttnUpBlock2D", "UpBlock2D");
        assertMessage(b, "'SimpleCrossAttnUpBlock2D'", "UpBlock2D, CrossAttnUpBlock2D");
        UNet2DConditionConfig c = fixtureConfig();
        c.classEmbedType = "timestep";
        assertMessage(c, "class_embed_type 'timestep'", "supported");
        UNet2DConditionConfig d = fixtureConfig();
        d.additionEmbedType = "text";
        assertMessage(d, "addition_embed_type 'text'", "'text_time'");
        UNet2DConditionConfig e = fixtureConfig();
        e.midBlockType = "UNetMidBlock2DSimpleCrossAttn";
        assertMessage(e, "UNetMidBlock2DSimpleCrossAttn", "UNetMidBlock2DCrossAttn, UNetMidBlock2D");
        UNet2DConditionConfig f = fixtureConfig();
        f.attentionHeadDim = IntOrList.of(8, 8, 8);
        assertMessage(f, "`attention_head_dim`: [8, 8, 8]", "DownBlock2D");
        UNet2DConditionConfig g = fixtureConfig();
        g.numAttentionHeads = IntOrList.of(4);
        assertMessage(g, "num_attention_heads", "(got 4)");
    }

    private static void assertMessage(UNet2DConditionConfig cfg, String... parts) {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> UNet2DConditionModel.randomInit(cfg, 0, m, DataType.FLOAT32));
            for (String p : parts) {
                assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
            }
        }
    }

    /** {@code source} without {@code hidden} keys. */
    private static TensorSource without(TensorSource source, Set<String> hidden) {
        return new TensorSource() {
            @Override
            public Set<String> keys() {
                return source.keys().stream().filter(k -> !hidden.contains(k))
                        .collect(Collectors.toCollection(LinkedHashSet::new));
            }

            @Override
            public TensorInfo info(String key) {
                return source.info(key);
            }

            @Override
            public NDArray load(String key, NDManager manager, DataType dtype) {
                return source.load(key, manager, dtype);
            }

            @Override
            public String describe() {
                return source.describe() + " (partial)";
            }

            @Override
            public void close() {
            }
        };
    }
}

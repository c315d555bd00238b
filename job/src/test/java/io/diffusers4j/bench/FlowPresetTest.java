// The flow-matching bench presets: their configs are the real checkpoints', and the cost formulas count what runs.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.blocks.RotaryEmbedding;
import io.diffusers4j.models.clip.CLIPTextConfig;
import io.diffusers4j.models.clip.CLIPTextModelWithProjection;
import io.diffusers4j.models.nn.OpProfiler;
import io.diffusers4j.models.transformers.FluxTransformer2DConfig;
import io.diffusers4j.models.transformers.FluxTransformer2DModel;
import io.diffusers4j.models.transformers.JointBlockOutput;
import io.diffusers4j.models.transformers.SD3Transformer2DConfig;
import io.diffusers4j.models.transformers.SD3Transformer2DModel;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.pipelines.FluxPipeline;
import io.diffusers4j.schedulers.FlowMatchEulerDiscreteScheduler;
import io.diffusers4j.schedulers.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowPresetTest {
    @Test
    void sd3PresetIsStableDiffusion3MediumWithoutT5() {
        SD3Transformer2DConfig t = Sd3Preset.transformer(Sd3Preset.LAYERS);
        assertEquals(List.of(128, 2, 16, 24, 64, 24, 4096, 1536, 2048, 16, 192), List.of(t.sampleSize, t.patchSize,
                t.inChannels, t.numLayers, t.attentionHeadDim, t.numAttentionHeads, t.jointAttentionDim,
                t.captionProjectionDim, t.pooledProjectionDim, t.outChannels, t.posEmbedMaxSize));
        CLIPTextConfig l = Sd3Preset.clipL();
        assertEquals(List.of(768, 12, 12, 3072, 768, 49408), List.of(l.hiddenSize, l.numHiddenLayers,
                l.numAttentionHeads, l.intermediateSize, l.projectionDim, l.vocabSize));
        assertEquals("quick_gelu", l.hiddenAct);
        CLIPTextConfig g = Sd3Preset.clipG();
        assertEquals(List.of(1280, 32, 20, 5120, 1280, 49408), List.of(g.hiddenSize, g.numHiddenLayers,
                g.numAttentionHeads, g.intermediateSize, g.projectionDim, g.vocabSize));
        assertEquals("gelu", g.hiddenAct);
        AutoencoderKLConfig vae = Sd3Preset.vae(1.5305, 0.0609, "test");
        assertArrayEquals(new int[] {128, 256, 512, 512}, vae.blockOutChannels);
        assertEquals(List.of(2, 16), List.of(vae.layersPerBlock, vae.latentChannels));
        assertEquals(1.5305, vae.scalingFactor);
        assertEquals(0.0609, vae.shiftFactor);
        assertFalse(vae.useQuantConv || vae.usePostQuantConv);
        try (Scheduler s = Sd3Preset.scheduler()) {
            FlowMatchEulerDiscreteScheduler flow = assertInstanceOf(FlowMatchEulerDiscreteScheduler.class, s);
            assertEquals(3.0, flow.config().shift);
        }
        // SD3-medium: 2.03 B transformer weights + the 192 x 192 x 1536 position table, CLIP-L 124 M, CLIP-G 695 M
        assertEquals(2.028e9 + 192 * 192 * 1536, TransformerCost.sd3Parameters(t), 0.001e9);
        assertEquals(123.7e6, PresetMemory.clipParameters(l, true), 0.1e6);
        assertEquals(694.7e6, PresetMemory.clipParameters(g, true), 0.1e6);
    }

    @Test
    void fluxPresetIsFluxSchnellAtItsRealWidth() {
        FluxTransformer2DConfig t = FluxPreset.transformer(2);
        assertEquals(List.of(3072, 24, 128, 64, 4096, 768, 1, 2, 2), List.of(t.innerDim(), t.numAttentionHeads,
                t.attentionHeadDim, t.inChannels, t.jointAttentionDim, t.pooledProjectionDim, t.patchSize,
                t.numLayers, t.numSingleLayers));
        assertFalse(t.guidanceEmbeds);
        FluxTransformer2DConfig full = FluxPreset.fullTransformer();
        assertEquals(List.of(19, 38), List.of(full.numLayers, full.numSingleLayers));
        // FLUX.1: 11.9 B transformer parameters
        assertEquals(11.9e9, TransformerCost.fluxParameters(full), 0.05e9);
        AutoencoderKLConfig vae = FluxPreset.vae();
        assertEquals(0.3611, vae.scalingFactor);
        assertEquals(0.1159, vae.shiftFactor);
        assertEquals(768, FluxPreset.clipL().hiddenSize);
        try (Scheduler s = FluxPreset.scheduler()) {
            FlowMatchEulerDiscreteScheduler flow = assertInstanceOf(FlowMatchEulerDiscreteScheduler.class, s);
            assertEquals(1.0, flow.config().shift);
            assertEquals(256, flow.config().baseImageSeqLen);
        }
    }

    /** A tiny SD3 transformer of the preset's config with the widths shrunk. */
    private static SD3Transformer2DConfig tinySd3(int layers) {
        SD3Transformer2DConfig c = Sd3Preset.transformer(layers);
        c.numAttentionHeads = 2;
        c.attentionHeadDim = 8;
        c.captionProjectionDim = 16;
        c.jointAttentionDim = 24;
        c.pooledProjectionDim = 12;
        c.sampleSize = 32;
        c.posEmbedMaxSize = 32;
        c.validate();
        return c;
    }

    @Test
    void sd3CostFormulaCountsWhatTheProbesCount() {
        SD3Transformer2DConfig cfg = tinySd3(3);
        try (NDManager m = NDManager.newBaseManager();
             SD3Transformer2DModel model = SD3Transformer2DModel.randomInit(cfg, 0, m, DataType.FLOAT32)) {
            assertEquals(TransformerCost.sd3Parameters(cfg), parameters(model.stateDict()));
            // 8x6 latents: 12 image tokens (the plain attention products); 32x32: 256 + 10 keys (the fused kernel)
            for (long[] size : new long[][] {{1, 8, 6, 7}, {2, 32, 32, 10}}) {
                long b = size[0];
                NDArray x = m.randomNormal(new Shape(b, 16, size[1], size[2]));
                NDArray text = m.randomNormal(new Shape(b, size[3], 24));
                NDArray pooled = m.randomNormal(new Shape(b, 12));
                NDArray t = m.full(new Shape(b), 500f);
                TransformerCost cost = TransformerCost.sd3(cfg, b, size[1], size[2], size[3]);
                assertEquals(cost.total(), counted(() -> model.forward(x, text, pooled, t)), 0.5);
                long n = size[1] / 2 * (size[2] / 2);
                NDArray hidden = m.randomNormal(new Shape(b, n, 16));
                NDArray encoder = m.randomNormal(new Shape(b, size[3], 16));
                NDArray temb = m.randomNormal(new Shape(b, 16));
                assertEquals(cost.block(), counted(() -> model.transformerBlocks().get(0).forward(hidden, encoder,
                        temb).hiddenStates()), 0.5);
                assertEquals(cost.lastBlock(), counted(() -> model.transformerBlocks().get(2).forward(hidden,
                        encoder, temb).hiddenStates()), 0.5);
            }
        }
    }

    @Test
    void fluxCostFormulaCountsWhatTheProbesCount() {
        FluxTransformer2DConfig cfg = FluxPreset.transformer(2);
        cfg.numAttentionHeads = 2;
        cfg.attentionHeadDim = 16;
        cfg.axesDimsRope = List.of(4, 6, 6);
        cfg.jointAttentionDim = 24;
        cfg.pooledProjectionDim = 12;
        cfg.numSingleLayers = 3;
        cfg.validate();
        try (NDManager m = NDManager.newBaseManager();
             FluxTransformer2DModel model = FluxTransformer2DModel.randomInit(cfg, 0, m, DataType.FLOAT32)) {
            assertEquals(TransformerCost.fluxParameters(cfg), parameters(model.stateDict()));
            // 4x5 packed latents: 20 image tokens; 16x16: 256 (the fused kernel)
            for (int[] size : new int[][] {{1, 4, 5, 7}, {2, 16, 16, 9}}) {
                int b = size[0];
                long n = (long) size[1] * size[2];
                NDArray x = m.randomNormal(new Shape(b, n, 64));
                NDArray text = m.randomNormal(new Shape(b, size[3], 24));
                NDArray pooled = m.randomNormal(new Shape(b, 12));
                NDArray t = m.full(new Shape(b), 0.5f);
                NDArray textIds = m.zeros(new Shape(b, size[3], 3));
                NDArray imageIds = FluxPipeline.latentImageIds(m, b, 2 * size[1], 2 * size[2]);
                TransformerCost cost = TransformerCost.flux(cfg, b, n, size[3]);
                assertEquals(cost.total(), counted(() -> model.forward(x, text, pooled, t, null, textIds, imageIds)),
                        0.5);
                NDArray hidden = m.randomNormal(new Shape(b, n, 32));
                NDArray encoder = m.randomNormal(new Shape(b, size[3], 32));
                NDArray joint = m.randomNormal(new Shape(b, size[3] + n, 32));
                NDArray temb = m.randomNormal(new Shape(b, 32));
                try (RotaryEmbedding rope = model.posEmbed().forward(textIds.concat(imageIds, 1))) {
                    assertEquals(cost.block(), counted(() -> {
                        JointBlockOutput o = model.transformerBlocks().get(0).forward(hidden, encoder, temb, rope);
                        o.encoderHiddenStates().close();
                        return o.hiddenStates();
                    }), 0.5);
                    assertEquals(cost.singleBlock(), counted(() -> model.singleTransformerBlocks().get(0)
                            .forward(joint, temb, rope)), 0.5);
                }
            }
        }
    }

    @Test
    void clipParameterFormulaMatchesATinyModel() {
        CLIPTextConfig c = Sd3Preset.clipG();
        c.vocabSize = 100;
        c.hiddenSize = 16;
        c.intermediateSize = 24;
        c.numAttentionHeads = 2;
        c.numHiddenLayers = 3;
        c.projectionDim = 8;
        c.validate();
        try (NDManager m = NDManager.newBaseManager();
             CLIPTextModelWithProjection model = CLIPTextModelWithProjection.randomInit(c, 0, m, DataType.FLOAT32)) {
            assertEquals(PresetMemory.clipParameters(c, true), parameters(model.stateDict()));
        }
    }

    @Test
    void directMemorySizesParseAsTheJvmWritesThem() {
        assertEquals(16L << 30, PresetMemory.parseSize("16g"));
        assertEquals(512L << 20, PresetMemory.parseSize("512M"));
        assertEquals(4096, PresetMemory.parseSize("4k"));
        assertEquals(12345, PresetMemory.parseSize("12345"));
        assertTrue(PresetMemory.directLimitBytes() > 0);
    }

    /** The GEMM-class FLOPs the op probes count in one call of {@code op} (its result closed). */
    private static double counted(Supplier<NDArray> op) {
        OpProfiler.reset();
        OpProfiler.enable(true);
        try (NDArray out = op.get()) {
            assertTrue(out.getShape().size() > 0);
        } finally {
            OpProfiler.enable(false);
        }
        Map<OpProfiler.OpClass, OpProfiler.Counts> split = OpProfiler.snapshot();
        return split.get(OpProfiler.OpClass.CONVOLUTION).flops() + split.get(OpProfiler.OpClass.MATMUL).flops()
                + split.get(OpProfiler.OpClass.ATTENTION_FUSED).flops();
    }

    private static long parameters(Map<String, NDArray> stateDict) {
        long n = 0;
        for (NDArray t : stateDict.values()) {
            n += t.getShape().size();
        }
        return n;
    }
}

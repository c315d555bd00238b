// Parity of FluxTransformer2DModel with diffusers 0.30.3 on tiny random checkpoints (guidance or not), per block.
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.models.blocks.RotaryEmbedding;
import io.diffusers4j.models.nn.OpProfiler;
import io.diffusers4j.weights.MapTensorSource;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.WeightLoadException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arrays recorded by {@code scripts/reference/gen_mmdit.py} ({@code reference-flow/transformers/}, see its manifest):
 * inputs built as FluxPipeline builds them (packed latents, {@code _prepare_latent_image_ids}, zero text ids,
 * {@code t / 1000}), the model outputs and each stage fed with diffusers' own input to it.
 */
class FluxTransformer2DModelTest {
    private static NDManager weights;
    private static Map<String, FluxTransformer2DModel> models;

    @BeforeAll
    static void load() {
        weights = NDManager.newBaseManager();
        models = new LinkedHashMap<>();
        for (String name : new String[] {"flux", "flux-guidance"}) {
            FluxTransformer2DConfig cfg = FlowReference.config(name, FluxTransformer2DConfig.class);
            try (SafetensorsFile st = FlowReference.weights(name)) {
                models.put(name, FluxTransformer2DModel.load(cfg, st, weights, DataType.FLOAT32));
            }
        }
    }

    @AfterAll
    static void close() {
        models.values().forEach(FluxTransformer2DModel::close);
        weights.close();
    }

    private static NDArray run(FluxTransformer2DModel flux, NDManager m, String c) {
        NDArray guidance = FlowReference.has(c, "guidance") ? FlowReference.npy(m, c, "guidance") : null;
        return flux.forward(FlowReference.npy(m, c, "hidden_states"), FlowReference.npy(m, c, "encoder_hidden_states"),
                FlowReference.npy(m, c, "pooled_projections"), FlowReference.npy(m, c, "timestep"), guidance,
                FlowReference.npy(m, c, "txt_ids"), FlowReference.npy(m, c, "img_ids"));
    }

    @ParameterizedTest
    @CsvSource({"flux_8x8_text7, flux", "flux_8x12_text32_batch2, flux", "fluxg_8x8_text7, flux-guidance",
                "fluxg_8x12_text32_batch2, flux-guidance", "fluxg_32x32_text7, flux-guidance"})
    void outputMatchesDiffusers(String caseName, String model) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = run(models.get(model), m, caseName);
            assertEquals(m, out.getManager());
            FlowReference.check(caseName + " output", out, FlowReference.npy(m, caseName, "output"));
        }
    }

    /** Each stage on diffusers' own inputs to it: a failure names the first stage that differs. */
    @ParameterizedTest
    @CsvSource({"flux_8x8_text7, flux", "flux_8x12_text32_batch2, flux", "fluxg_8x8_text7, flux-guidance",
                "fluxg_8x12_text32_batch2, flux-guidance", "fluxg_32x32_text7, flux-guidance"})
    void stagesMatchDiffusers(String c, String model) {
        FluxTransformer2DModel flux = models.get(model);
        try (NDManager m = NDManager.newBaseManager()) {
            FlowReference.check(c + " x_embedder", flux.xEmbedder().forward(FlowReference.npy(m, c, "hidden_states")),
                    FlowReference.npy(m, c, "x_embedder"));
            FlowReference.check(c + " context_embedder", flux.contextEmbedder().forward(
                    FlowReference.npy(m, c, "encoder_hidden_states")), FlowReference.npy(m, c, "context_embedder"));
            NDArray t = FlowReference.npy(m, c, "timestep").mul(1000f);
            NDArray g = FlowReference.has(c, "guidance") ? FlowReference.npy(m, c, "guidance").mul(1000f) : null;
            NDArray temb = FlowReference.npy(m, c, "time_text_embed");
            FlowReference.check(c + " time_text_embed", flux.timeTextEmbed(t, g,
                    FlowReference.npy(m, c, "pooled_projections")), temb);

            NDArray ids = FlowReference.npy(m, c, "txt_ids").concat(FlowReference.npy(m, c, "img_ids"), 1);
            try (RotaryEmbedding rope = flux.posEmbed().forward(ids)) {
                NDArray table = rope.freqsCis(m);
                NDArray expected = FlowReference.npy(m, c, "pos_embed");
                // diffusers keeps one table per batch row; ours has one row when the rows agree (they do here)
                FlowReference.check(c + " pos_embed (rotary table)", table.broadcast(expected.getShape()), expected);

                JointBlockOutput block = flux.transformerBlocks().get(0).forward(FlowReference.npy(m, c, "x_embedder"),
                        FlowReference.npy(m, c, "context_embedder"), temb, rope);
                FlowReference.check(c + " transformer_blocks.0 encoder", block.encoderHiddenStates(),
                        FlowReference.npy(m, c, "transformer_blocks.0.0"));
                FlowReference.check(c + " transformer_blocks.0 hidden", block.hiddenStates(),
                        FlowReference.npy(m, c, "transformer_blocks.0.1"));

                NDArray joint = FlowReference.npy(m, c, "transformer_blocks.0.0").concat(
                        FlowReference.npy(m, c, "transformer_blocks.0.1"), 1);
                FlowReference.check(c + " single_transformer_blocks.0", flux.singleTransformerBlocks().get(0)
                        .forward(joint, temb, rope), FlowReference.npy(m, c, "single_transformer_blocks.0"));
                FlowReference.check(c + " single_transformer_blocks.1", flux.singleTransformerBlocks().get(1)
                        .forward(FlowReference.npy(m, c, "single_transformer_blocks.0"), temb, rope),
                        FlowReference.npy(m, c, "single_transformer_blocks.1"));
            }
            long textLength = FlowReference.npy(m, c, "encoder_hidden_states").getShape().get(1);
            NDArray image = FlowReference.npy(m, c, "single_transformer_blocks.1").get(":, " + textLength + ":");
            FlowReference.check(c + " norm_out", flux.normOut().forward(image, temb),
                    FlowReference.npy(m, c, "norm_out"));
        }
    }

    /**
     * 263 keys: libtorch's fused kernel (on strided [B, heads, L, d] views of the rotated queries and keys) by
     * default; the unfused products and head slicing give the same output.
     */
    @Test
    void everyAttentionPathMatchesDiffusers() {
        FluxTransformer2DModel flux = models.get("flux-guidance");
        String c = "fluxg_32x32_text7";
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray expected = FlowReference.npy(m, c, "output");
            OpProfiler.reset();
            OpProfiler.enable(true);
            try {
                FlowReference.check(c + " output (fused)", run(flux, m, c), expected);
            } finally {
                OpProfiler.enable(false);
            }
            OpProfiler.Counts fused = OpProfiler.snapshot().get(OpProfiler.OpClass.ATTENTION_FUSED);
            assertEquals(3, fused == null ? 0 : fused.calls(), "one fused attention per block");
            Runnable[] settings = {() -> flux.attentionOptions().fused(false),
                () -> flux.attentionOptions().memoryEfficient(false), () -> flux.attentionOptions().sliceMax()};
            String[] names = {"unfused", "dense", "slice max"};
            for (int i = 0; i < settings.length; i++) {
                settings[i].run();
                try {
                    FlowReference.check(c + " output (" + names[i] + ")", run(flux, m, c), expected);
                } finally {
                    flux.attentionOptions().fused(true).memoryEfficient(true).disableSlicing();
                }
            }
        }
    }

    @Test
    void idsWithoutBatchAxisAndAScalarTimestepGiveTheSameOutput() {
        FluxTransformer2DModel flux = models.get("flux-guidance");
        String c = "fluxg_8x12_text32_batch2";
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray expected = FlowReference.npy(m, c, "output");
            NDArray txt = FlowReference.npy(m, c, "txt_ids").get(0);
            NDArray img = FlowReference.npy(m, c, "img_ids").get(0);
            NDArray out = flux.forward(FlowReference.npy(m, c, "hidden_states"),
                    FlowReference.npy(m, c, "encoder_hidden_states"), FlowReference.npy(m, c, "pooled_projections"),
                    FlowReference.npy(m, c, "timestep"), m.create(3.5f), txt, img);
            FlowReference.check(c + " output (ids [L, 3], scalar guidance)", out, expected);
        }
    }

    @Test
    void guidanceMustMatchTheConfig() {
        try (NDManager m = NDManager.newBaseManager()) {
            String c = "flux_8x8_text7";
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> run(
                    models.get("flux-guidance"), m, c));
            assertTrue(missing.getMessage().contains("guidance_embeds true"), missing.getMessage());
            IllegalArgumentException extra = assertThrows(IllegalArgumentException.class, () -> models.get("flux")
                    .forward(FlowReference.npy(m, c, "hidden_states"), FlowReference.npy(m, c, "encoder_hidden_states"),
                            FlowReference.npy(m, c, "pooled_projections"), FlowReference.npy(m, c, "timestep"),
                            m.create(new float[] {3.5f}), FlowReference.npy(m, c, "txt_ids"),
                            FlowReference.npy(m, c, "img_ids")));
            assertTrue(extra.getMessage().contains("guidance_embeds false"), extra.getMessage());
        }
    }

    @Test
    void refusesInputsItCannotRun() {
        FluxTransformer2DModel flux = models.get("flux");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hidden = m.zeros(new Shape(1, 16, 64));
            NDArray encoder = m.zeros(new Shape(1, 7, 96));
            NDArray pooled = m.zeros(new Shape(1, 32));
            NDArray t = m.create(new float[] {0.5f});
            NDArray txt = m.zeros(new Shape(1, 7, 3));
            NDArray img = m.zeros(new Shape(1, 16, 3));
            flux.forward(hidden, encoder, pooled, t, null, txt, img);
            assertThrows(IllegalArgumentException.class, () -> flux.forward(m.zeros(new Shape(1, 16, 60)), encoder,
                    pooled, t, null, txt, img));
            assertThrows(IllegalArgumentException.class, () -> flux.forward(hidden, encoder, pooled, t, null,
                    m.zeros(new Shape(1, 6, 3)), img));
            assertThrows(IllegalArgumentException.class, () -> flux.forward(hidden, encoder, pooled, t, null, txt,
                    m.zeros(new Shape(1, 16, 2))));
            assertThrows(IllegalArgumentException.class, () -> flux.forward(hidden, encoder, pooled, t, null,
                    m.zeros(new Shape(7, 3)), img));
            assertThrows(IllegalArgumentException.class, () -> flux.forward(hidden, encoder, m.zeros(new Shape(2, 32)),
                    t, null, txt, img));
            IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> flux.forward(
                    hidden.toType(DataType.FLOAT16, false), encoder, pooled, t, null, txt, img));
            assertTrue(dtype.getMessage().contains("cast the input"), dtype.getMessage());
        }
    }

    @Test
    void stateDictHasTheCheckpointKeysAndRandomInitBuildsTheSameModule() {
        for (String name : models.keySet()) {
            FluxTransformer2DConfig cfg = FlowReference.config(name, FluxTransformer2DConfig.class);
            try (SafetensorsFile st = FlowReference.weights(name); NDManager m = NDManager.newBaseManager();
                 FluxTransformer2DModel random = FluxTransformer2DModel.randomInit(cfg, 4, m, DataType.FLOAT32)) {
                assertEquals(st.keys(), models.get(name).stateDict().keySet());
                assertEquals(st.keys(), random.stateDict().keySet());
                for (String k : st.keys()) {
                    assertEquals(new Shape(st.info(k).shape()), random.stateDict().get(k).getShape(), k);
                }
                NDArray out = random.forward(m.zeros(new Shape(1, 4, 64)), m.zeros(new Shape(1, 2, 96)),
                        m.zeros(new Shape(1, 32)), m.create(new float[] {0.5f}),
                        cfg.guidanceEmbeds ? m.create(new float[] {4f}) : null, m.zeros(new Shape(1, 2, 3)),
                        m.zeros(new Shape(1, 4, 3)));
                assertEquals(new Shape(1, 4, 64), out.getShape());
                assertTrue(Double.isFinite(ModelTestSupport.maxAbs(out)));
            }
        }
    }

    @Test
    void onlyTheResultStaysInTheCallersManager() {
        FluxTransformer2DModel flux = models.get("flux-guidance");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray first = run(flux, m, "fluxg_8x12_text32_batch2");
            int before = m.getManagedArrays().size();
            run(flux, m, "fluxg_8x12_text32_batch2");
            assertEquals(before + 8, m.getManagedArrays().size(), "7 inputs read + the result");
            assertEquals(m, first.getManager());
        }
    }

    /** float16 weights run in float16 (CUDA's dtype; slow on the CPU): a smoke test of the dtype handling. */
    @Test
    void float16RunsEndToEnd() {
        String c = "fluxg_8x12_text32_batch2";
        FluxTransformer2DConfig cfg = FlowReference.config("flux-guidance", FluxTransformer2DConfig.class);
        try (SafetensorsFile st = FlowReference.weights("flux-guidance"); NDManager m = NDManager.newBaseManager();
             FluxTransformer2DModel half = FluxTransformer2DModel.load(cfg, st, m, DataType.FLOAT16)) {
            NDArray out = half.forward(FlowReference.npy(m, c, "hidden_states").toType(DataType.FLOAT16, false),
                    FlowReference.npy(m, c, "encoder_hidden_states").toType(DataType.FLOAT16, false),
                    FlowReference.npy(m, c, "pooled_projections").toType(DataType.FLOAT16, false),
                    FlowReference.npy(m, c, "timestep"), FlowReference.npy(m, c, "guidance"),
                    FlowReference.npy(m, c, "txt_ids"), FlowReference.npy(m, c, "img_ids"));
            assertEquals(DataType.FLOAT16, out.getDataType());
            double diff = ModelTestSupport.maxAbsDiff(out, FlowReference.npy(m, c, "output"));
            System.out.printf("%s output in float16: max abs diff %.3g%n", c, diff);
            assertTrue(diff < 0.1, "float16 output far from the float32 reference: " + diff);
        }
    }

    @Test
    void loadingIsStrict() {
        FluxTransformer2DConfig cfg = FlowReference.config("flux", FluxTransformer2DConfig.class);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(models.get("flux").stateDict());
            tensors.remove("single_transformer_blocks.1.attn.norm_k.weight");
            tensors.put("single_transformer_blocks.1.attn.to_out.0.weight", m.zeros(new Shape(32, 32)));
            WeightLoadException e = assertThrows(WeightLoadException.class, () -> FluxTransformer2DModel.load(cfg,
                    new MapTensorSource(tensors, "edited"), m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("single_transformer_blocks.1.attn.norm_k.weight"), e.getMessage());
            assertTrue(e.getMessage().contains("single_transformer_blocks.1.attn.to_out.0.weight"), e.getMessage());
        }
    }
}

// Parity of SD3Transformer2DModel with diffusers 0.30.3 on tiny random checkpoints, per block, and strict loading.
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.ModelTestSupport;
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
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arrays recorded by {@code scripts/reference/gen_mmdit.py} ({@code reference-flow/transformers/}, see its manifest):
 * the model outputs and, to localise a divergence, each stage fed with diffusers' own input to it.
 */
class SD3Transformer2DModelTest {
    private static NDManager weights;
    private static Map<String, SD3Transformer2DModel> models;

    @BeforeAll
    static void load() {
        weights = NDManager.newBaseManager();
        models = new LinkedHashMap<>();
        for (String name : new String[] {"sd3", "sd3-nomax"}) {
            SD3Transformer2DConfig cfg = FlowReference.config(name, SD3Transformer2DConfig.class);
            try (SafetensorsFile st = FlowReference.weights(name)) {
                models.put(name, SD3Transformer2DModel.load(cfg, st, weights, DataType.FLOAT32));
            }
        }
    }

    @AfterAll
    static void close() {
        models.values().forEach(SD3Transformer2DModel::close);
        weights.close();
    }

    @ParameterizedTest
    @CsvSource({"sd3_16x16_batch2, sd3", "sd3_24x16, sd3", "sd3_32x48, sd3", "sd3nomax_8x8, sd3-nomax",
                "sd3nomax_8x12, sd3-nomax"})
    void outputMatchesDiffusers(String caseName, String model) {
        SD3Transformer2DModel sd3 = models.get(model);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hidden = FlowReference.npy(m, caseName, "hidden_states");
            NDArray out = sd3.forward(hidden, FlowReference.npy(m, caseName, "encoder_hidden_states"),
                    FlowReference.npy(m, caseName, "pooled_projections"), FlowReference.npy(m, caseName, "timestep"));
            assertEquals(m, out.getManager());
            FlowReference.check(caseName + " output", out, FlowReference.npy(m, caseName, "output"));
        }
    }

    /**
     * 389 keys: libtorch's fused kernel by default; the dense products, head slicing and query chunks give the same
     * output.
     */
    @Test
    void everyAttentionPathMatchesDiffusers() {
        SD3Transformer2DModel sd3 = models.get("sd3");
        String c = "sd3_32x48";
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray expected = FlowReference.npy(m, c, "output");
            Runnable[] settings = {
                () -> sd3.attentionOptions().fused(false),
                () -> sd3.attentionOptions().memoryEfficient(false),
                () -> sd3.attentionOptions().fused(false).chunkBytes(4096),
                () -> sd3.attentionOptions().sliceMax()};
            String[] names = {"unfused", "dense", "query chunks of 4 kB", "slice max"};
            for (int i = 0; i < settings.length; i++) {
                settings[i].run();
                try {
                    FlowReference.check(c + " output (" + names[i] + ")", sd3.forward(
                            FlowReference.npy(m, c, "hidden_states"), FlowReference.npy(m, c, "encoder_hidden_states"),
                            FlowReference.npy(m, c, "pooled_projections"), FlowReference.npy(m, c, "timestep")),
                            expected);
                } finally {
                    sd3.attentionOptions().fused(true).memoryEfficient(true).chunkBytes(16L << 20).disableSlicing();
                }
            }
        }
    }

    /** Each stage on diffusers' own inputs to it: a failure names the first stage that differs. */
    @ParameterizedTest
    @CsvSource({"sd3_16x16_batch2, sd3", "sd3_24x16, sd3", "sd3_32x48, sd3", "sd3nomax_8x8, sd3-nomax",
                "sd3nomax_8x12, sd3-nomax"})
    void stagesMatchDiffusers(String caseName, String model) {
        SD3Transformer2DModel sd3 = models.get(model);
        try (NDManager m = NDManager.newBaseManager()) {
            FlowReference.check(caseName + " pos_embed", sd3.posEmbed().forward(
                    FlowReference.npy(m, caseName, "hidden_states")), FlowReference.npy(m, caseName, "pos_embed"));
            NDArray temb = FlowReference.npy(m, caseName, "time_text_embed");
            NDArray context = FlowReference.npy(m, caseName, "context_embedder");
            FlowReference.check(caseName + " time_text_embed", sd3.timeTextEmbed().forward(
                    FlowReference.npy(m, caseName, "timestep"),
                    FlowReference.npy(m, caseName, "pooled_projections")), temb);
            FlowReference.check(caseName + " context_embedder", sd3.contextEmbedder().forward(
                    FlowReference.npy(m, caseName, "encoder_hidden_states")), context);
            JointTransformerBlock first = sd3.transformerBlocks().get(0);
            JointBlockOutput out = first.forward(FlowReference.npy(m, caseName, "pos_embed"), context, temb);
            FlowReference.check(caseName + " transformer_blocks.0 hidden", out.hiddenStates(),
                    FlowReference.npy(m, caseName, "transformer_blocks.0.1"));
            if (first.contextPreOnly()) {
                assertNull(out.encoderHiddenStates(), "the context_pre_only block returns no text tokens");
            } else {
                FlowReference.check(caseName + " transformer_blocks.0 encoder", out.encoderHiddenStates(),
                        FlowReference.npy(m, caseName, "transformer_blocks.0.0"));
            }
            String lastHidden = "transformer_blocks.0.1";
            if (FlowReference.has(caseName, "transformer_blocks.1.1")) {
                lastHidden = "transformer_blocks.1.1";
                JointBlockOutput last = sd3.transformerBlocks().get(1).forward(
                        FlowReference.npy(m, caseName, "transformer_blocks.0.1"),
                        FlowReference.npy(m, caseName, "transformer_blocks.0.0"), temb);
                assertNull(last.encoderHiddenStates());
                FlowReference.check(caseName + " transformer_blocks.1 (context_pre_only) hidden",
                        last.hiddenStates(), FlowReference.npy(m, caseName, "transformer_blocks.1.1"));
            }
            FlowReference.check(caseName + " norm_out", sd3.normOut().forward(
                    FlowReference.npy(m, caseName, lastHidden), temb), FlowReference.npy(m, caseName, "norm_out"));
        }
    }

    @Test
    void timestepOfOneValueIsBroadcastOverTheBatch() {
        SD3Transformer2DModel sd3 = models.get("sd3");
        String c = "sd3_16x16_batch2";
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hidden = FlowReference.npy(m, c, "hidden_states");
            NDArray encoder = FlowReference.npy(m, c, "encoder_hidden_states");
            NDArray pooled = FlowReference.npy(m, c, "pooled_projections");
            NDArray both = sd3.forward(hidden, encoder, pooled, m.create(new float[] {371.25f, 371.25f}));
            NDArray one = sd3.forward(hidden, encoder, pooled, m.create(new float[] {371.25f}));
            NDArray scalar = sd3.forward(hidden, encoder, pooled, m.create(371.25f));
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(both, one));
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(both, scalar));
        }
    }

    @Test
    void forwardChunkingGivesTheSameOutput() {
        SD3Transformer2DModel sd3 = models.get("sd3");
        String c = "sd3_16x16_batch2";
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hidden = FlowReference.npy(m, c, "hidden_states");
            NDArray encoder = FlowReference.npy(m, c, "encoder_hidden_states");
            NDArray pooled = FlowReference.npy(m, c, "pooled_projections");
            NDArray t = FlowReference.npy(m, c, "timestep");
            NDArray plain = sd3.forward(hidden, encoder, pooled, t);
            try {
                sd3.enableForwardChunking(null, 0);
                assertTrue(ModelTestSupport.maxAbsDiff(plain, sd3.forward(hidden, encoder, pooled, t)) < 1e-6);
                sd3.enableForwardChunking(7, 1);   // 64 image tokens: not divisible by 7
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> sd3.forward(hidden, encoder, pooled, t));
                assertTrue(e.getMessage().contains("has to be divisible by chunk size: 7"), e.getMessage());
            } finally {
                sd3.disableForwardChunking();
            }
            assertThrows(IllegalArgumentException.class, () -> sd3.enableForwardChunking(2, 2));
        }
    }

    @Test
    void refusesInputsItCannotRun() {
        SD3Transformer2DModel sd3 = models.get("sd3");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray encoder = m.zeros(new Shape(1, 3, 96));
            NDArray pooled = m.zeros(new Shape(1, 64));
            NDArray t = m.create(new float[] {1f});
            IllegalArgumentException tooWide = assertThrows(IllegalArgumentException.class,
                    () -> sd3.forward(m.zeros(new Shape(1, 16, 16, 50)), encoder, pooled, t));
            assertEquals("Width (25) cannot be greater than `pos_embed_max_size`: 24.", tooWide.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> sd3.forward(m.zeros(new Shape(1, 4, 16, 16)), encoder, pooled, t));
            assertThrows(IllegalArgumentException.class,
                    () -> sd3.forward(m.zeros(new Shape(1, 16, 16, 16)), m.zeros(new Shape(1, 3, 95)), pooled, t));
            assertThrows(IllegalArgumentException.class, () -> sd3.forward(m.zeros(new Shape(1, 16, 16, 16)),
                    encoder, pooled, m.create(new float[] {1f, 2f, 3f})));
            IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                    () -> sd3.forward(m.zeros(new Shape(1, 16, 16, 16), DataType.FLOAT16), encoder, pooled, t));
            assertTrue(dtype.getMessage().contains("cast the input"), dtype.getMessage());
        }
    }

    @Test
    void stateDictHasTheCheckpointKeysAndRandomInitBuildsTheSameModule() {
        SD3Transformer2DConfig cfg = FlowReference.config("sd3", SD3Transformer2DConfig.class);
        try (SafetensorsFile st = FlowReference.weights("sd3"); NDManager m = NDManager.newBaseManager();
             SD3Transformer2DModel random = SD3Transformer2DModel.randomInit(cfg, 3, m, DataType.FLOAT32)) {
            Set<String> keys = st.keys();
            assertEquals(keys, models.get("sd3").stateDict().keySet());
            assertEquals(keys, random.stateDict().keySet());
            for (String k : keys) {
                assertEquals(new Shape(st.info(k).shape()), random.stateDict().get(k).getShape(), k);
            }
            // the random model's position table is diffusers' sine-cosine table (a buffer, not randomised)
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(random.stateDict().get("pos_embed.pos_embed"),
                    models.get("sd3").stateDict().get("pos_embed.pos_embed")), 1e-6);
            NDArray hidden = m.zeros(new Shape(1, 16, 8, 8));
            NDArray out = random.forward(hidden, m.zeros(new Shape(1, 2, 96)), m.zeros(new Shape(1, 64)),
                    m.create(new float[] {5f}));
            assertEquals(new Shape(1, 16, 8, 8), out.getShape());
        }
    }

    @Test
    void onlyTheResultStaysInTheCallersManager() {
        SD3Transformer2DModel sd3 = models.get("sd3");
        String c = "sd3_16x16_batch2";
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hidden = FlowReference.npy(m, c, "hidden_states");
            NDArray encoder = FlowReference.npy(m, c, "encoder_hidden_states");
            NDArray pooled = FlowReference.npy(m, c, "pooled_projections");
            NDArray t = FlowReference.npy(m, c, "timestep");
            int before = m.getManagedArrays().size();
            sd3.forward(hidden, encoder, pooled, t);
            assertEquals(before + 1, m.getManagedArrays().size(), "only the result may stay");
            JointBlockOutput out = sd3.transformerBlocks().get(0).forward(FlowReference.npy(m, c, "pos_embed"),
                    FlowReference.npy(m, c, "context_embedder"), FlowReference.npy(m, c, "time_text_embed"));
            assertEquals(before + 6, m.getManagedArrays().size(), "the forward's result, 3 inputs, 2 block outputs");
            assertEquals(m, out.hiddenStates().getManager());
        }
    }

    /** float16 weights run in float16 (CUDA's dtype; slow on the CPU): a smoke test of the dtype handling. */
    @Test
    void float16RunsEndToEnd() {
        String c = "sd3_16x16_batch2";
        SD3Transformer2DConfig cfg = FlowReference.config("sd3", SD3Transformer2DConfig.class);
        try (SafetensorsFile st = FlowReference.weights("sd3"); NDManager m = NDManager.newBaseManager();
             SD3Transformer2DModel half = SD3Transformer2DModel.load(cfg, st, m, DataType.FLOAT16)) {
            assertEquals(DataType.FLOAT16, half.dtype());
            NDArray out = half.forward(FlowReference.npy(m, c, "hidden_states").toType(DataType.FLOAT16, false),
                    FlowReference.npy(m, c, "encoder_hidden_states").toType(DataType.FLOAT16, false),
                    FlowReference.npy(m, c, "pooled_projections").toType(DataType.FLOAT16, false),
                    FlowReference.npy(m, c, "timestep"));
            assertEquals(DataType.FLOAT16, out.getDataType());
            double diff = ModelTestSupport.maxAbsDiff(out, FlowReference.npy(m, c, "output"));
            System.out.printf("%s output in float16: max abs diff %.3g%n", c, diff);
            assertTrue(diff < 0.1, "float16 output far from the float32 reference: " + diff);
        }
    }

    @Test
    void loadingIsStrict() {
        SD3Transformer2DConfig cfg = FlowReference.config("sd3", SD3Transformer2DConfig.class);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(models.get("sd3").stateDict());
            tensors.remove("transformer_blocks.1.attn.add_q_proj.weight");
            tensors.put("transformer_blocks.1.attn.to_add_out.weight", m.zeros(new Shape(32, 32)));
            WeightLoadException e = assertThrows(WeightLoadException.class, () -> SD3Transformer2DModel.load(cfg,
                    new MapTensorSource(tensors, "edited"), m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("transformer_blocks.1.attn.add_q_proj.weight"), e.getMessage());
            assertTrue(e.getMessage().contains("transformer_blocks.1.attn.to_add_out.weight"), e.getMessage());
        }
    }
}

package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.SafetensorsWriter;
import io.diffusers4j.weights.WeightLoadException;
import io.diffusers4j.weights.WeightScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CLIPTextModelTest {
    private static NDManager manager;
    private static CLIPTextConfig fixtureConfig;
    private static SafetensorsFile fixtureWeights;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        Path dir = Fixtures.tinySd().resolve("text_encoder");
        fixtureConfig = CLIPTextConfig.load(dir.resolve("config.json"));
        fixtureWeights = SafetensorsFile.open(dir.resolve("model.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        fixtureWeights.close();
        manager.close();
    }

    private static CLIPTextConfig tinyConfig(String act) {
        CLIPTextConfig c = new CLIPTextConfig();
        c.vocabSize = 100;
        c.hiddenSize = 16;
        c.intermediateSize = 24;
        c.projectionDim = 12;
        c.numHiddenLayers = 3;
        c.numAttentionHeads = 2;
        c.maxPositionEmbeddings = 10;
        c.hiddenAct = act;
        c.eosTokenId = 99;
        c.bosTokenId = 98;
        c.padTokenId = 99;
        return c;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    @Test
    void configReadsTransformersKeysAndSavesWithoutClassName(@TempDir Path tmp) throws Exception {
        assertEquals(32, fixtureConfig.hiddenSize);
        assertEquals(37, fixtureConfig.intermediateSize);
        assertEquals(5, fixtureConfig.numHiddenLayers);
        assertEquals(4, fixtureConfig.numAttentionHeads);
        assertEquals("quick_gelu", fixtureConfig.hiddenAct);
        assertEquals(49407, fixtureConfig.eosTokenId);
        assertEquals(49407, fixtureConfig.padTokenId);
        assertEquals(List.of("CLIPTextModel"), fixtureConfig.architectures);
        assertEquals("float32", fixtureConfig.torchDtype);
        assertEquals("CLIPTextModel", fixtureConfig.className());
        Path out = tmp.resolve("config.json");
        fixtureConfig.save(out);
        String text = Files.readString(out);
        assertFalse(text.contains("_class_name"), text);
        assertTrue(text.contains("\"transformers_version\": \"4.45.0.dev0\""), text);
        CLIPTextConfig back = CLIPTextConfig.load(out);
        assertEquals(fixtureConfig.toJson(), back.toJson());

        CLIPTextConfig defaults = new CLIPTextConfig();
        assertEquals(512, defaults.hiddenSize);
        assertEquals(2048, defaults.intermediateSize);
        assertEquals(12, defaults.numHiddenLayers);
        assertEquals(8, defaults.numAttentionHeads);
        assertEquals(1, defaults.padTokenId);

        CLIPTextConfig bad = tinyConfig("quick_gelu");
        bad.numAttentionHeads = 5;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::validate);
        assertTrue(e.getMessage().contains("16") && e.getMessage().contains("5"), e.getMessage());
        CLIPTextConfig badAct = tinyConfig("swishy");
        assertThrows(IllegalArgumentException.class, badAct::validate);
    }

    @Test
    void lastHiddenStateMatchesTransformers() throws Exception {
        Npy.Array ids = Fixtures.npy("tiny-sd_te_input_ids.npy");
        Npy.Array expected = Fixtures.npy("tiny-sd_te_last_hidden_state.npy");
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.load(fixtureConfig, fixtureWeights, m, DataType.FLOAT32)) {
            NDArray input = m.create(ids.longs(), new Shape(ids.shape()));
            CLIPTextOutput out = te.forward(input);
            assertArrayEquals(expected.shape(), out.lastHiddenState().getShape().getShape());
            assertEquals(DataType.FLOAT32, out.lastHiddenState().getDataType());
            double diff = maxAbsDiff(expected.floats(), out.lastHiddenState().toFloatArray());
            System.out.printf("tiny-sd text encoder last_hidden_state max |diff| = %.3g%n", diff);
            assertTrue(diff < 1e-4, "max abs diff " + diff);
            assertNull(out.textEmbeds());
            assertNull(out.hiddenStates());
            assertArrayEquals(new long[] {2, 32}, out.pooledOutput().getShape().getShape());
        }
    }

    @Test
    void forwardFreesTemporariesAndNeverTouchesTheWeightManager() {
        Npy.Array ids = Fixtures.npy("tiny-sd_te_input_ids.npy");
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.load(fixtureConfig, fixtureWeights, m, DataType.FLOAT32);
             NDManager in = manager.newSubManager()) {
            NDArray input = in.create(ids.longs(), new Shape(ids.shape()));
            NDArray mask = in.ones(new Shape(ids.shape()), DataType.INT64);
            int weightsBefore = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                CLIPTextOutput out = te.forward(input, mask, true);
                // inputs + last, pooled and 6 hidden states, nothing else
                assertEquals(2 + 2 + 6, in.getManagedArrays().size());
                out.close();
                assertEquals(2, in.getManagedArrays().size());
                assertEquals(weightsBefore, m.getManagedArrays().size());
            }
            NDArray h = te.forward(input, null, true).hiddenState(-3);
            NDArray normed = te.finalLayerNorm(h);
            assertEquals(in, normed.getManager());
        }
    }

    @Test
    void hiddenStatesCountAndLastEqualsLastHiddenStateBeforeNorm() {
        CLIPTextConfig cfg = tinyConfig("quick_gelu");
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.randomInit(cfg, 3, m, DataType.FLOAT32)) {
            NDArray ids = m.create(new long[] {98, 5, 17, 99, 99, 99, 98, 40, 99, 99}, new Shape(2, 5));
            CLIPTextOutput out = te.forward(ids, null, true);
            assertEquals(cfg.numHiddenLayers + 1, out.hiddenStates().size());
            NDArray normed = te.finalLayerNorm(out.hiddenState(-1));
            assertArrayEquals(out.lastHiddenState().toFloatArray(), normed.toFloatArray());
            // hidden_states[0] is the embeddings output: token + position rows of the weight tables
            NDArray tok = te.stateDict().get("text_model.embeddings.token_embedding.weight");
            NDArray pos = te.stateDict().get("text_model.embeddings.position_embedding.weight");
            float[] expected0 = tok.get(98).add(pos.get(0)).toFloatArray();
            assertArrayEquals(expected0, out.hiddenState(0).get(0, 0).toFloatArray(), 1e-6f);
            // causal: changing a later token does not change earlier positions
            NDArray ids2 = m.create(new long[] {98, 5, 17, 99, 42, 99, 98, 40, 99, 99}, new Shape(2, 5));
            CLIPTextOutput out2 = te.forward(ids2);
            assertArrayEquals(out.lastHiddenState().get("0, 0:4").toFloatArray(),
                    out2.lastHiddenState().get("0, 0:4").toFloatArray(), 0f);
            assertTrue(maxAbsDiff(out.lastHiddenState().get("0, 4").toFloatArray(),
                    out2.lastHiddenState().get("0, 4").toFloatArray()) > 1e-4);
        }
    }

    @Test
    void pooledOutputIsAtTheFirstEosOrAtTheLargestIdForLegacyEos2() {
        CLIPTextConfig cfg = tinyConfig("quick_gelu");
        long[] idv = {98, 5, 99, 99, 99, 98, 40, 41, 99, 7};
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.randomInit(cfg, 4, m, DataType.FLOAT32)) {
            NDArray ids = m.create(idv, new Shape(2, 5));
            CLIPTextOutput out = te.forward(ids);
            assertArrayEquals(out.lastHiddenState().get(0, 2).toFloatArray(), out.pooledOutput().get(0).toFloatArray());
            assertArrayEquals(out.lastHiddenState().get(1, 3).toFloatArray(), out.pooledOutput().get(1).toFloatArray());
        }
        CLIPTextConfig legacy = tinyConfig("quick_gelu");
        legacy.eosTokenId = 2;
        long[] legacyIds = {98, 5, 97, 97, 3, 2, 40, 41, 99, 7};
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.randomInit(legacy, 4, m, DataType.FLOAT32)) {
            CLIPTextOutput out = te.forward(m.create(legacyIds, new Shape(2, 5)));
            // row 0: max id 98 at 0; row 1: max id 99 at 3 (id 2 at 0 is ignored)
            assertArrayEquals(out.lastHiddenState().get(0, 0).toFloatArray(), out.pooledOutput().get(0).toFloatArray());
            assertArrayEquals(out.lastHiddenState().get(1, 3).toFloatArray(), out.pooledOutput().get(1).toFloatArray());
        }
    }

    @Test
    void attentionMaskHidesPaddedKeys() {
        CLIPTextConfig cfg = tinyConfig("gelu");
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.randomInit(cfg, 5, m, DataType.FLOAT32)) {
            // left padding: position 0 masked; later positions must not see it
            NDArray a = m.create(new long[] {10, 20, 30, 99}, new Shape(1, 4));
            NDArray b = m.create(new long[] {11, 20, 30, 99}, new Shape(1, 4));
            NDArray mask = m.create(new long[] {0, 1, 1, 1}, new Shape(1, 4));
            float[] ra = te.forward(a, mask, false).lastHiddenState().get("0, 1:").toFloatArray();
            float[] rb = te.forward(b, mask, false).lastHiddenState().get("0, 1:").toFloatArray();
            assertTrue(maxAbsDiff(ra, rb) < 1e-6, "masked key leaked: " + maxAbsDiff(ra, rb));
            float[] ua = te.forward(a).lastHiddenState().get("0, 1:").toFloatArray();
            float[] ub = te.forward(b).lastHiddenState().get("0, 1:").toFloatArray();
            assertTrue(maxAbsDiff(ua, ub) > 1e-4, "without a mask position 0 must matter");
            // all-ones mask is the same as no mask
            NDArray ones = m.ones(new Shape(1, 4), DataType.INT64);
            assertArrayEquals(te.forward(a).lastHiddenState().toFloatArray(),
                    te.forward(a, ones, false).lastHiddenState().toFloatArray(), 0f);
        }
    }

    @Test
    void geluWithProjectionRoundTripsThroughSafetensorsBitExactly(@TempDir Path tmp) throws Exception {
        CLIPTextConfig cfg = tinyConfig("gelu");
        cfg.architectures = List.of("CLIPTextModelWithProjection");
        Path file = tmp.resolve("model.safetensors");
        NDArray ids;
        float[] embeds;
        float[] last;
        List<String> keys;
        try (NDManager m = manager.newSubManager();
             CLIPTextModelWithProjection te = CLIPTextModelWithProjection.randomInit(cfg, 11, m, DataType.FLOAT32)) {
            Map<String, NDArray> sd = te.stateDict();
            keys = new ArrayList<>(sd.keySet());
            assertEquals("text_model.embeddings.token_embedding.weight", keys.get(0));
            assertEquals("text_projection.weight", keys.get(keys.size() - 1));
            assertTrue(keys.contains("text_model.encoder.layers.2.self_attn.q_proj.bias"));
            assertTrue(keys.contains("text_model.final_layer_norm.weight"));
            assertEquals(2 + 3 * 16 + 2 + 1, keys.size());
            assertArrayEquals(new long[] {12, 16}, sd.get("text_projection.weight").getShape().getShape());
            SafetensorsWriter.write(file, sd, null, Map.of("format", "pt"));
            ids = m.create(new long[] {98, 1, 2, 99, 99, 98, 3, 99, 99, 99}, new Shape(2, 5));
            ids.attach(manager);
            CLIPTextOutput out = te.forward(ids);
            assertArrayEquals(new long[] {2, 12}, out.textEmbeds().getShape().getShape());
            NDArray w = sd.get("text_projection.weight");
            assertArrayEquals(out.pooledOutput().matMul(w.transpose()).toFloatArray(),
                    out.textEmbeds().toFloatArray(), 1e-6f);
            embeds = out.textEmbeds().toFloatArray();
            last = out.lastHiddenState().toFloatArray();
        }
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = manager.newSubManager();
             CLIPTextModelWithProjection te = CLIPTextModelWithProjection.load(cfg, st, m, DataType.FLOAT32)) {
            assertEquals(keys, new ArrayList<>(te.stateDict().keySet()));
            CLIPTextOutput out = te.forward(ids);
            assertArrayEquals(embeds, out.textEmbeds().toFloatArray(), 0f);
            assertArrayEquals(last, out.lastHiddenState().toFloatArray(), 0f);
        }
        // the same file without the projection has one unused key
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = manager.newSubManager()) {
            WeightLoadException e = assertThrows(WeightLoadException.class,
                    () -> CLIPTextModel.load(cfg, st, m, DataType.FLOAT32));
            assertEquals(List.of("text_projection.weight"), e.unused());
            assertTrue(e.missing().isEmpty());
            assertEquals(0, m.getManagedArrays().size(), "failed load must free its weights");
        }
    }

    @Test
    void strictLoadingReportsMissingMismatchedAndUnusedKeysButAllowsPositionIds(@TempDir Path tmp)
            throws Exception {
        CLIPTextConfig cfg = tinyConfig("quick_gelu");
        Path file = tmp.resolve("model.safetensors");
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.randomInit(cfg, 1, m, DataType.FLOAT32)) {
            Map<String, NDArray> sd = new LinkedHashMap<>(te.stateDict());
            sd.put("text_model.embeddings.position_ids", m.arange(0, 10, 1, DataType.INT64).reshape(1, 10));
            SafetensorsWriter.write(file, sd, null, Map.of("format", "pt"));
        }
        // position_ids (old checkpoints) is allowed to stay unused
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.load(cfg, st, m, DataType.FLOAT32)) {
            assertFalse(te.stateDict().containsKey("text_model.embeddings.position_ids"));
        }
        CLIPTextConfig wider = tinyConfig("quick_gelu");
        wider.intermediateSize = 30;
        wider.numHiddenLayers = 4;
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = manager.newSubManager()) {
            // loading checks the config's sizes against the checkpoint's header first, naming the key
            IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                    () -> CLIPTextModel.load(wider, st, m, DataType.FLOAT32));
            assertEquals("<in memory>: key 'num_hidden_layers' is 4 but " + file + " has 3 of "
                    + "text_model.encoder.layers.N (4 expected)", k.getMessage());
            // strict loading itself still reports every missing, mis-shaped and unused key
            WeightScope root = WeightScope.load(st, m, DataType.FLOAT32);
            CLIPTextModel.load(wider, root);
            WeightLoadException e = assertThrows(WeightLoadException.class, root::finish);
            assertTrue(e.missing().contains("text_model.encoder.layers.3.mlp.fc1.weight [30, 16]"), e.getMessage());
            assertTrue(e.mismatched().stream().anyMatch(s -> s.startsWith("text_model.encoder.layers.0.mlp.fc1.weight")
                    && s.contains("[24, 16]") && s.contains("[30, 16]")), e.getMessage());
            assertTrue(e.unused().isEmpty(), e.getMessage());
        }
        CLIPTextConfig shallower = tinyConfig("quick_gelu");
        shallower.numHiddenLayers = 2;
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = manager.newSubManager()) {
            assertThrows(IllegalArgumentException.class, () -> CLIPTextModel.load(shallower, st, m,
                    DataType.FLOAT32));
            WeightScope root = WeightScope.load(st, m, DataType.FLOAT32);
            CLIPTextModel.load(shallower, root);
            WeightLoadException e = assertThrows(WeightLoadException.class, root::finish);
            assertEquals(16, e.unused().size(), e.getMessage());
            assertTrue(e.unused().stream().allMatch(k -> k.startsWith("text_model.encoder.layers.2.")));
        }
    }

    @Test
    void loadOnACallersScopeLeavesFinishToTheCaller() {
        try (NDManager m = manager.newSubManager()) {
            WeightScope root = WeightScope.load(fixtureWeights, m, DataType.FLOAT32);
            CLIPTextModel te = CLIPTextModel.load(fixtureConfig, root);
            root.finish();
            assertEquals(2 + 5 * 16 + 2, te.stateDict().size());
            te.close(); // does not own the weights
            assertTrue(m.getManagedArrays().size() >= 84);
        }
    }

    @Test
    void float16WeightsGiveFloat16OutputsCloseToTheReference() {
        Npy.Array ids = Fixtures.npy("tiny-sd_te_input_ids.npy");
        Npy.Array expected = Fixtures.npy("tiny-sd_te_last_hidden_state.npy");
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.load(fixtureConfig, fixtureWeights, m, DataType.FLOAT16)) {
            NDArray input = m.create(ids.longs(), new Shape(ids.shape()));
            NDArray mask = m.ones(new Shape(ids.shape()), DataType.INT64);
            NDArray last = te.forward(input, mask, false).lastHiddenState();
            assertEquals(DataType.FLOAT16, last.getDataType());
            double diff = maxAbsDiff(expected.floats(), last.toType(DataType.FLOAT32, false).toFloatArray());
            System.out.printf("float16 text encoder last_hidden_state max |diff| = %.3g%n", diff);
            assertTrue(diff < 3e-2, "max abs diff " + diff);
        }
    }

    @Test
    void rejectsBadInputs() {
        CLIPTextConfig cfg = tinyConfig("quick_gelu");
        try (NDManager m = manager.newSubManager();
             CLIPTextModel te = CLIPTextModel.randomInit(cfg, 1, m, DataType.FLOAT32)) {
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> te.forward(m.zeros(new Shape(1, 11), DataType.INT64)));
            assertTrue(tooLong.getMessage().contains("11"), tooLong.getMessage());
            IllegalArgumentException oov = assertThrows(IllegalArgumentException.class,
                    () -> te.forward(m.create(new long[] {1, 100}, new Shape(1, 2))));
            assertTrue(oov.getMessage().contains("100"), oov.getMessage());
            assertThrows(IllegalArgumentException.class, () -> te.forward(m.zeros(new Shape(4), DataType.INT64)));
            assertThrows(IllegalArgumentException.class,
                    () -> te.forward(m.zeros(new Shape(1, 4), DataType.INT64), m.ones(new Shape(1, 3)), false));
            // int32 ids work like int64
            float[] a = te.forward(m.create(new int[] {1, 2, 99}, new Shape(1, 3))).lastHiddenState().toFloatArray();
            float[] b = te.forward(m.create(new long[] {1, 2, 99}, new Shape(1, 3))).lastHiddenState().toFloatArray();
            assertArrayEquals(a, b, 0f);
        }
    }
}

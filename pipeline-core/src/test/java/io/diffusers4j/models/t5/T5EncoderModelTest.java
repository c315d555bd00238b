// Parity of T5EncoderModel with transformers' on two tiny random checkpoints, loading rules and the state dict.
package io.diffusers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.weights.CheckpointFiles;
import io.diffusers4j.weights.MapTensorSource;
import io.diffusers4j.weights.ShardedTensorSource;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightLoadException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arrays recorded by {@code scripts/reference/gen_t5.py} ({@code reference-flow/t5/}, see its manifest):
 * {@code last_hidden_state} of {@code t5-gated-gelu} (T5 v1.1 style, one safetensors file) and {@code t5-relu}
 * (T5 v1.0 style, sharded) for batch-2 inputs of 8, 77 and 300 tokens (300 is beyond both models'
 * {@code relative_attention_max_distance}), with and without an attention mask, within 1e-4; a failing case
 * reports each block's difference.
 */
class T5EncoderModelTest {
    private static final double TOLERANCE = 1e-4;
    private static final int[] LENGTHS = {8, 77, 300};

    static Path root() {
        return Fixtures.referenceFlowT5();
    }

    static Path modelDir(String name) {
        return root().resolve("models").resolve(name);
    }

    static Npy.Array npy(String relative) {
        try {
            return Npy.read(root().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static NDArray floats(NDManager m, String relative) {
        Npy.Array a = npy(relative);
        return m.create(a.floats(), new Shape(a.shape()));
    }

    static NDArray longs(NDManager m, String relative) {
        Npy.Array a = npy(relative);
        return m.create(a.longs(), new Shape(a.shape()));
    }

    static T5EncoderModel load(String name, NDManager m, DataType dtype) {
        T5Config cfg = T5Config.load(modelDir(name).resolve("config.json"));
        try (TensorSource w = CheckpointFiles.open(modelDir(name), CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME, null,
                null)) {
            return T5EncoderModel.load(cfg, w, m, dtype);
        }
    }

    /** A copy of {@code v} made in {@code m} (a model's weights go when it closes; their manager is capped). */
    static NDArray copy(NDArray v, NDManager m) {
        return m.create(v.toByteBuffer(), v.getShape(), v.getDataType());
    }

    /** Max abs difference of the last hidden state; on failure, of each block's output too. */
    static double compare(T5EncoderModel model, NDManager m, String name, int length, boolean masked, String suffix) {
        String tag = "len" + length + (masked ? "_mask" : "") + suffix;
        NDArray ids = longs(m, "inputs/ids_len" + length + ".npy");
        NDArray mask = masked ? longs(m, "inputs/mask_len" + length + ".npy") : null;
        List<NDArray> blocks = new ArrayList<>();
        NDArray out = model.forward(ids, mask, blocks);
        NDArray expected = floats(m, "outputs/" + name + "/" + tag + "_last_hidden_state.npy");
        double diff = ModelTestSupport.maxAbsDiff(out, expected);
        System.out.printf("T5EncoderModel %s %s: last_hidden_state max abs diff %.3g%n", name, tag, diff);
        if (!(diff < TOLERANCE) || suffix.length() > 0) {
            NDArray perBlock = floats(m, "outputs/" + name + "/" + tag + "_block_outputs.npy");
            for (int i = 0; i < blocks.size(); i++) {
                System.out.printf("  block %d output: max abs diff %.3g%n", i,
                        ModelTestSupport.maxAbsDiff(blocks.get(i), perBlock.get(i)));
            }
        }
        return diff;
    }

    @Test
    void gatedGeluMatchesTransformers() {
        try (NDManager m = NDManager.newBaseManager(); T5EncoderModel t5 = load("t5-gated-gelu", m, DataType.FLOAT32)) {
            assertTrue(t5.config().isGatedAct());
            assertEquals("gelu_new", t5.config().denseActFn());
            for (int length : LENGTHS) {
                for (boolean masked : new boolean[] {false, true}) {
                    double diff = compare(t5, m, "t5-gated-gelu", length, masked, "");
                    assertTrue(diff < TOLERANCE, "t5-gated-gelu len " + length + " mask " + masked + ": " + diff);
                }
            }
        }
    }

    @Test
    void reluShardedMatchesTransformers() {
        try (NDManager m = NDManager.newBaseManager()) {
            try (TensorSource w = CheckpointFiles.open(modelDir("t5-relu"), CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME,
                    null, null)) {
                assertInstanceOf(ShardedTensorSource.class, w, "model.safetensors.index.json is read");
                assertEquals(4, ((ShardedTensorSource) w).shardFiles().size());
            }
            try (T5EncoderModel t5 = load("t5-relu", m, DataType.FLOAT32)) {
                assertTrue(!t5.config().isGatedAct());
                assertEquals("relu", t5.config().denseActFn());
                for (int length : LENGTHS) {
                    for (boolean masked : new boolean[] {false, true}) {
                        double diff = compare(t5, m, "t5-relu", length, masked, "");
                        assertTrue(diff < TOLERANCE, "t5-relu len " + length + " mask " + masked + ": " + diff);
                    }
                }
            }
        }
    }

    @Test
    void relativePositionBucketsEqualTransformers() {
        int[][] configs = {{32, 128}, {16, 32}, {32, 64}, {64, 256}, {8, 20}, {33, 100}};
        for (int[] c : configs) {
            long[] expected = npy("buckets/buckets_" + c[0] + "_" + c[1] + ".npy").longs();
            for (int d = -1100; d <= 1100; d++) {
                assertEquals(expected[d + 1100], T5RelativePositionBucket.bucket(d, c[0], c[1]),
                        "bucket of " + d + " with " + c[0] + " buckets, max distance " + c[1]);
            }
        }
    }

    @Test
    void noMaskIsTheDefaultPathAndAllOnesMaskGivesTheSame() {
        try (NDManager m = NDManager.newBaseManager(); T5EncoderModel t5 = load("t5-gated-gelu", m, DataType.FLOAT32)) {
            NDArray ids = longs(m, "inputs/ids_len77.npy");
            NDArray plain = t5.forward(ids);
            NDArray ones = t5.forward(ids, m.ones(new Shape(2, 77), DataType.INT64));
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(plain, ones));
            assertEquals(new Shape(2, 77, 96), plain.getShape());
            assertEquals(DataType.FLOAT32, plain.getDataType());
        }
    }

    @Test
    void embeddingMayComeAsEitherTiedKeyOrBoth() {
        try (NDManager m = NDManager.newBaseManager()) {
            T5Config cfg = T5Config.load(modelDir("t5-gated-gelu").resolve("config.json"));
            Map<String, NDArray> original;
            NDArray expected = floats(m, "outputs/t5-gated-gelu/len8_last_hidden_state.npy");
            NDArray ids = longs(m, "inputs/ids_len8.npy");
            try (T5EncoderModel t5 = load("t5-gated-gelu", m, DataType.FLOAT32)) {
                original = new LinkedHashMap<>();
                t5.stateDict().forEach((k, v) -> original.put(k, copy(v, m)));
            }
            Map<String, NDArray> renamed = new LinkedHashMap<>();
            original.forEach((k, v) -> renamed.put(k.equals("shared.weight") ? "encoder.embed_tokens.weight" : k, v));
            Map<String, NDArray> both = new LinkedHashMap<>(original);
            both.put("encoder.embed_tokens.weight", original.get("shared.weight"));
            for (Map<String, NDArray> dict : List.of(renamed, both)) {
                try (T5EncoderModel t5 = T5EncoderModel.load(cfg, new MapTensorSource(dict), m, DataType.FLOAT32)) {
                    assertTrue(ModelTestSupport.maxAbsDiff(t5.forward(ids), expected) < TOLERANCE);
                    assertEquals(List.copyOf(original.keySet()), List.copyOf(t5.stateDict().keySet()),
                            "the state dict names the embedding shared.weight, as save_pretrained writes it");
                }
            }
            Map<String, NDArray> misShaped = new LinkedHashMap<>(original);
            misShaped.put("encoder.embed_tokens.weight", m.zeros(new Shape(1000, 96)));
            String message = assertThrows(IllegalArgumentException.class,
                    () -> T5EncoderModel.load(cfg, new MapTensorSource(misShaped), m, DataType.FLOAT32)).getMessage();
            assertTrue(message.contains("vocab_size") && message.contains("encoder.embed_tokens.weight"), message);
        }
    }

    @Test
    void loadingIsStrict() {
        try (NDManager m = NDManager.newBaseManager()) {
            T5Config cfg = T5Config.load(modelDir("t5-gated-gelu").resolve("config.json"));
            Map<String, NDArray> dict = new LinkedHashMap<>();
            try (T5EncoderModel t5 = load("t5-gated-gelu", m, DataType.FLOAT32)) {
                t5.stateDict().forEach((k, v) -> dict.put(k, copy(v, m)));
            }
            Map<String, NDArray> missing = new LinkedHashMap<>(dict);
            missing.remove("encoder.block.1.layer.1.DenseReluDense.wi_1.weight");
            String message = assertThrows(WeightLoadException.class,
                    () -> T5EncoderModel.load(cfg, new MapTensorSource(missing), m, DataType.FLOAT32)).getMessage();
            assertTrue(message.contains("encoder.block.1.layer.1.DenseReluDense.wi_1.weight"), message);

            Map<String, NDArray> extra = new LinkedHashMap<>(dict);
            extra.put("lm_head.weight", m.zeros(new Shape(1100, 96)));
            extra.put("decoder.block.0.layer.0.SelfAttention.q.weight", m.zeros(new Shape(64, 96)));
            message = assertThrows(WeightLoadException.class,
                    () -> T5EncoderModel.load(cfg, new MapTensorSource(extra), m, DataType.FLOAT32)).getMessage();
            assertTrue(message.contains("lm_head.weight"), message);
            assertTrue(!message.contains("decoder.block"), "decoder keys are ignored as transformers does: " + message);

            Map<String, NDArray> secondBias = new LinkedHashMap<>(dict);
            secondBias.put("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight",
                    m.zeros(new Shape(32, 4)));
            message = assertThrows(WeightLoadException.class,
                    () -> T5EncoderModel.load(cfg, new MapTensorSource(secondBias), m, DataType.FLOAT32)).getMessage();
            assertTrue(message.contains("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"),
                    "only block 0 has a relative attention bias: " + message);
        }
    }

    @Test
    void stateDictHasTransformersKeys() {
        try (NDManager m = NDManager.newBaseManager(); T5EncoderModel t5 = load("t5-gated-gelu", m, DataType.FLOAT32);
             TensorSource w = CheckpointFiles.open(modelDir("t5-gated-gelu"), CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME,
                     null, null)) {
            assertEquals(new TreeSet<>(w.keys()), new TreeSet<>(t5.stateDict().keySet()));
            assertEquals("shared.weight", t5.stateDict().keySet().iterator().next());
        }
    }

    @Test
    void randomInitBuildsEveryKeyAndRuns() {
        try (NDManager m = NDManager.newBaseManager()) {
            T5Config cfg = T5Config.load(modelDir("t5-relu").resolve("config.json"));
            try (T5EncoderModel t5 = T5EncoderModel.randomInit(cfg, 3, m, DataType.FLOAT32)) {
                // shared, per block q k v o + 2 norms + wi wo, block 0's bias, final norm
                assertEquals(1 + cfg.numLayers * 8 + 1 + 1, t5.stateDict().size());
                NDArray out = t5.forward(m.create(new long[] {5, 6, 7, 1}, new Shape(1, 4)));
                assertEquals(new Shape(1, 4, 64), out.getShape());
            }
        }
    }

    @Test
    void inputsAreChecked() {
        try (NDManager m = NDManager.newBaseManager(); T5EncoderModel t5 = load("t5-relu", m, DataType.FLOAT32)) {
            assertThrows(IllegalArgumentException.class, () -> t5.forward(m.create(new long[] {1152}, new Shape(1, 1))));
            assertThrows(IllegalArgumentException.class, () -> t5.forward(m.create(new long[] {-1}, new Shape(1, 1))));
            assertThrows(IllegalArgumentException.class, () -> t5.forward(m.create(new long[] {1, 2}, new Shape(2))));
            assertThrows(IllegalArgumentException.class, () -> t5.forward(m.create(new float[] {1, 2}, new Shape(1, 2))));
            assertThrows(IllegalArgumentException.class, () -> t5.forward(m.create(new long[] {1, 2}, new Shape(1, 2)),
                    m.ones(new Shape(1, 3))));
            assertThrows(IllegalArgumentException.class,
                    () -> T5EncoderModel.randomInit(t5.config(), 0, m, DataType.FLOAT64));
        }
    }

    @Test
    void float16KeepsWoInFloat32LikeTransformers() {
        try (NDManager m = NDManager.newBaseManager(); T5EncoderModel t5 = load("t5-gated-gelu", m, DataType.FLOAT16)) {
            t5.stateDict().forEach((k, v) -> assertEquals(k.contains(".wo.") ? DataType.FLOAT32 : DataType.FLOAT16,
                    v.getDataType(), k));
            for (boolean masked : new boolean[] {false, true}) {
                NDArray ids = longs(m, "inputs/ids_len77.npy");
                NDArray out = t5.forward(ids, masked ? longs(m, "inputs/mask_len77.npy") : null);
                assertEquals(DataType.FLOAT16, out.getDataType());
                double diff = compare(t5, m, "t5-gated-gelu", 77, masked, "_float16");
                double tolerance = float16Tolerance(floats(m, "outputs/t5-gated-gelu/len77"
                        + (masked ? "_mask" : "") + "_float16_last_hidden_state.npy"));
                assertTrue(diff <= tolerance, "float16 mask " + masked + ": " + diff + " > " + tolerance);
            }
        }
    }

    /**
     * Two float16 spacings at the largest output magnitude (transformers' own float16 output differs from its
     * float32 one by about one): the two float16 computations may round a few intermediates differently.
     */
    static double float16Tolerance(NDArray expected) {
        float max = 0;
        for (float x : expected.toFloatArray()) {
            max = Math.max(max, Math.abs(x));
        }
        return 2 * Math.pow(2, Math.floor(Math.log(max) / Math.log(2)) - 10);
    }

    @Test
    void float16ClampMatchesTransformers() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray finite = m.create(new float[] {60000f, -1f, 3f}).toType(DataType.FLOAT16, false);
            NDArray clamped = T5Block.clampFloat16(finite);
            assertEquals(60000f, clamped.toType(DataType.FLOAT32, false).getFloat(0), "no inf: clamp at 65504");
            NDArray withInf = m.create(new float[] {Float.POSITIVE_INFINITY, -70000f, 1f})
                    .toType(DataType.FLOAT16, false);
            float[] v = T5Block.clampFloat16(withInf).toType(DataType.FLOAT32, false).toFloatArray();
            assertEquals(64512f, v[0], "65504 - 1000 rounded to float16");
            assertEquals(-64512f, v[1]);
            assertEquals(1f, v[2]);
            NDArray f32 = m.create(new float[] {Float.POSITIVE_INFINITY});
            assertEquals(f32, T5Block.clampFloat16(f32), "float32 is never clamped");
        }
    }
}

// diffusers/transformers weight-file naming, variant and shard selection, pickle refusal, sharded validation.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointFilesTest {
    @TempDir
    Path tmp;

    private static void assertContains(String message, String... fragments) {
        for (String f : fragments) {
            assertTrue(message.contains(f), "expected '" + f + "' in: " + message);
        }
    }

    private Path one(Path dir, String name, float value) throws Exception {
        Files.createDirectories(dir);
        return StFiles.write(dir.resolve(name), List.of(StFiles.f32("w", new long[] {1}, value)));
    }

    private static float valueOf(TensorSource src, String key) {
        if (src instanceof SafetensorsFile f) {
            return f.bytes(key).getFloat(0);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            return src.load(key, m, DataType.FLOAT32).getFloat();
        }
    }

    @Test
    void variantNamesFollowDiffusersAndTransformers() {
        assertEquals("diffusion_pytorch_model.fp16.safetensors",
                CheckpointFiles.singleFileName("diffusion_pytorch_model", "fp16"));
        assertEquals("model.fp16.safetensors", CheckpointFiles.singleFileName("model", "fp16"));
        assertEquals("model.safetensors", CheckpointFiles.singleFileName("model", null));
        // transformers / diffusers >= 0.31 _add_variant
        assertEquals("model.safetensors.index.fp16.json", CheckpointFiles.addVariant("model.safetensors.index.json",
                "fp16"));
        // diffusers 0.30 _add_variant
        assertEquals("diffusion_pytorch_model.safetensors.fp16.index.json",
                CheckpointFiles.addVariantLegacy("diffusion_pytorch_model.safetensors.index.json", "fp16"));
        assertEquals("diffusion_pytorch_model.ema.safetensors",
                CheckpointFiles.addVariantLegacy("diffusion_pytorch_model.safetensors", "ema"));
        assertEquals(List.of("diffusion_pytorch_model.safetensors.index.fp16.json",
                        "diffusion_pytorch_model.safetensors.fp16.index.json"),
                CheckpointFiles.indexCandidates("diffusion_pytorch_model", "fp16"));
        assertEquals("model", CheckpointFiles.baseNameForLibrary("transformers"));
        assertEquals("diffusion_pytorch_model", CheckpointFiles.baseNameForLibrary("diffusers"));
    }

    @Test
    void opensTheFixtureComponents() {
        try (TensorSource unet = CheckpointFiles.open(Fixtures.tinySd().resolve("unet"),
                CheckpointFiles.DIFFUSERS_WEIGHTS_NAME, null, null);
             TensorSource te = CheckpointFiles.open(Fixtures.tinySd().resolve("text_encoder"),
                     CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME, null, true)) {
            assertTrue(unet.keys().contains("conv_in.weight"));
            assertTrue(te.describe().endsWith("model.safetensors"));
        }
    }

    @Test
    void singleFileVariantAndTheMissingVariantError() throws Exception {
        Path dir = tmp.resolve("unet");
        one(dir, "diffusion_pytorch_model.safetensors", 1f);
        try (TensorSource s = CheckpointFiles.open(dir, "diffusion_pytorch_model", null, null)) {
            assertEquals(1f, valueOf(s, "w"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(dir, "diffusion_pytorch_model", "fp16", null));
        assertContains(e.getMessage(), dir.toString(), "diffusion_pytorch_model.fp16.safetensors",
                "non-variant diffusion_pytorch_model.safetensors exists", "without variant");
        one(dir, "diffusion_pytorch_model.fp16.safetensors", 2f);
        try (TensorSource s = CheckpointFiles.open(dir, "diffusion_pytorch_model", "fp16", null)) {
            assertEquals(2f, valueOf(s, "w"));
        }
        assertEquals("fp16", CheckpointFiles.variantFor(dir, "fp16"));
        assertNull(CheckpointFiles.variantFor(dir, "ema"));
        assertNull(CheckpointFiles.variantFor(dir, null));
    }

    @Test
    void transformersNaming() throws Exception {
        Path dir = tmp.resolve("text_encoder");
        one(dir, "model.fp16.safetensors", 3f);
        try (TensorSource s = CheckpointFiles.open(dir, "model", "fp16", true)) {
            assertEquals(3f, valueOf(s, "w"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(dir, "model", null, null));
        assertContains(e.getMessage(), "no file named model.safetensors");
    }

    @Test
    void picklesAreNeverLoaded() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("vae"));
        Files.write(dir.resolve("diffusion_pytorch_model.bin"), new byte[] {(byte) 0x80, 2, '.'});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(dir, "diffusion_pytorch_model", null, null));
        assertContains(e.getMessage(), "diffusion_pytorch_model.bin", "never unpickled", "convert to safetensors");

        Path te = Files.createDirectories(tmp.resolve("te"));
        Files.write(te.resolve("pytorch_model.fp16.bin"), new byte[] {1});
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointFiles.open(te, "model", "fp16", null));
        assertContains(e.getMessage(), "pytorch_model.fp16.bin", "never unpickled", "variant=\"fp16\"");

        Path ckpt = Files.createDirectories(tmp.resolve("ckpt"));
        Files.write(ckpt.resolve("v1-5-pruned.ckpt"), new byte[] {1});
        e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(ckpt, "diffusion_pytorch_model", null, null));
        assertContains(e.getMessage(), "v1-5-pruned.ckpt", "never unpickled");

        // useSafetensors=false asks for pickle: refused even when safetensors exist
        one(dir, "diffusion_pytorch_model.safetensors", 1f);
        e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(dir, "diffusion_pytorch_model", null, false));
        assertContains(e.getMessage(), "useSafetensors=false", "diffusion_pytorch_model.bin", "never unpickled");
        try (TensorSource s = CheckpointFiles.open(dir, "diffusion_pytorch_model", null, null)) {
            assertInstanceOf(SafetensorsFile.class, s);
        }
    }

    @Test
    void emptyFolderAndMissingFolder() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(dir, "diffusion_pytorch_model", null, null));
        assertContains(e.getMessage(), dir.toString(), "no file named diffusion_pytorch_model.safetensors");
        assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(tmp.resolve("nope"), "model", null, null));
        assertThrows(IllegalArgumentException.class,
                () -> CheckpointFiles.open(dir, "model", "../x", null));
    }

    /** Writes shards of {a, b, c} and an index, named the way save_pretrained names them. */
    private Path sharded(Path dir, String indexName, String shard1, String shard2,
                         float offset) throws Exception {
        Files.createDirectories(dir);
        StFiles.write(dir.resolve(shard1), List.of(StFiles.f32("a", new long[] {2}, offset + 1, offset + 2),
                StFiles.f32("b", new long[] {1}, offset + 3)));
        StFiles.write(dir.resolve(shard2), List.of(StFiles.f32("c", new long[] {1}, offset + 4)));
        JsonObject index = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("total_size", 16);
        index.add("metadata", meta);
        JsonObject wm = new JsonObject();
        wm.addProperty("a", shard1);
        wm.addProperty("b", shard1);
        wm.addProperty("c", shard2);
        index.add("weight_map", wm);
        Files.writeString(dir.resolve(indexName), index.toString());
        return dir.resolve(indexName);
    }

    @Test
    void shardedWithVariantCurrentAndLegacyNames() throws Exception {
        Path dir = tmp.resolve("unet");
        sharded(dir, "diffusion_pytorch_model.safetensors.index.json",
                "diffusion_pytorch_model-00001-of-00002.safetensors",
                "diffusion_pytorch_model-00002-of-00002.safetensors", 0);
        // diffusers 0.30 wrote fp16 shards as <base>-0000k-of-0000n.fp16.safetensors + <base>.safetensors.fp16.index.json
        sharded(dir, "diffusion_pytorch_model.safetensors.fp16.index.json",
                "diffusion_pytorch_model-00001-of-00002.fp16.safetensors",
                "diffusion_pytorch_model-00002-of-00002.fp16.safetensors", 10);
        one(dir, "diffusion_pytorch_model.safetensors", 99f); // an index wins over a single file
        try (NDManager m = NDManager.newBaseManager()) {
            try (TensorSource s = CheckpointFiles.open(dir, "diffusion_pytorch_model", null, null)) {
                ShardedTensorSource sh = assertInstanceOf(ShardedTensorSource.class, s);
                assertEquals(List.of("a", "b", "c"), List.copyOf(s.keys()));
                assertEquals(2, sh.shardFiles().size());
                assertEquals(16, sh.metadata().get("total_size").getAsInt());
                assertArrayEquals(new float[] {1, 2}, s.load("a", m, DataType.FLOAT32).toFloatArray());
                assertEquals(4f, s.load("c", m, DataType.FLOAT32).getFloat());
                assertTrue(s.info("c").file().toString().endsWith("00002-of-00002.safetensors"));
            }
            try (TensorSource s = CheckpointFiles.open(dir, "diffusion_pytorch_model", "fp16", null)) {
                assertTrue(s.describe().endsWith("diffusion_pytorch_model.safetensors.fp16.index.json"));
                assertEquals(14f, s.load("c", m, DataType.FLOAT32).getFloat());
            }
            // transformers / diffusers >= 0.31 names take precedence over the legacy one
            sharded(dir, "diffusion_pytorch_model.safetensors.index.fp16.json",
                    "diffusion_pytorch_model.fp16-00001-of-00002.safetensors",
                    "diffusion_pytorch_model.fp16-00002-of-00002.safetensors", 20);
            try (TensorSource s = CheckpointFiles.open(dir, "diffusion_pytorch_model", "fp16", null)) {
                assertTrue(s.describe().endsWith("diffusion_pytorch_model.safetensors.index.fp16.json"));
                assertArrayEquals(new float[] {21, 22}, s.load("a", m, DataType.FLOAT32).toFloatArray());
            }
        }
        Path te = tmp.resolve("text_encoder");
        sharded(te, "model.safetensors.index.fp16.json", "model.fp16-00001-of-00002.safetensors",
                "model.fp16-00002-of-00002.safetensors", 30);
        try (TensorSource s = CheckpointFiles.open(te, "model", "fp16", null)) {
            ShardedTensorSource sh = assertInstanceOf(ShardedTensorSource.class, s);
            assertEquals(List.of(te.resolve("model.fp16-00001-of-00002.safetensors").toAbsolutePath(),
                    te.resolve("model.fp16-00002-of-00002.safetensors").toAbsolutePath()), sh.shardFiles());
            assertEquals(33f, valueOf(s, "b"));
        }
    }

    @Test
    void shardedIndexValidation() throws Exception {
        Path dir = tmp.resolve("s");
        String s1 = "m-00001-of-00002.safetensors";
        String s2 = "m-00002-of-00002.safetensors";
        Path index = sharded(dir, "m.safetensors.index.json", s1, s2, 0);
        String good = Files.readString(index);

        Files.writeString(index, good.replace("\"c\":\"" + s2 + "\"", "\"c\":\"m-00003-of-00003.safetensors\""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        assertContains(e.getMessage(), index.toString(), "'c'", "m-00003-of-00003.safetensors", "does not exist");

        Files.writeString(index, good.replace("\"c\":\"" + s2 + "\"", "\"c\":\"" + s2 + "\",\"d\":\"" + s2 + "\""));
        e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        assertContains(e.getMessage(), index.toString(), "'d'", s2, "does not contain it");

        Files.writeString(index, good.replace("\"b\":\"" + s1 + "\",", ""));
        e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        assertContains(e.getMessage(), index.toString(), "'b'", "does not list");

        StFiles.write(dir.resolve(s2), List.of(StFiles.f32("c", new long[] {1}, 4), StFiles.f32("b", new long[] {1},
                5)));
        Files.writeString(index, good);
        e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        assertContains(e.getMessage(), index.toString(), "'b'", "two shards", s1, s2);

        for (String bad : new String[] {"../escape.safetensors", "/abs.safetensors", "sub\\\\x.safetensors"}) {
            Files.writeString(index, "{\"weight_map\":{\"a\":\"" + bad + "\"}}");
            e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
            assertContains(e.getMessage(), index.toString(), "'a'", "not a plain file name");
        }
        Files.writeString(index, "{\"weight_map\":{\"a\":3}}");
        e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        assertContains(e.getMessage(), index.toString(), "'a'");
        Files.writeString(index, "{\"metadata\":{}}");
        e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        assertContains(e.getMessage(), index.toString(), "weight_map");
        Files.writeString(index, "{\"weight_map\":{}}");
        assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        Files.writeString(index, "{\"weight_map\":");
        e = assertThrows(IllegalArgumentException.class, () -> ShardedTensorSource.open(index));
        assertContains(e.getMessage(), index.toString());

        // a broken shard: the SafetensorsException names the shard file
        Files.writeString(index, good);
        Files.write(dir.resolve(s1), new byte[] {1, 2, 3});
        SafetensorsException se = assertThrows(SafetensorsException.class, () -> ShardedTensorSource.open(index));
        assertEquals(dir.resolve(s1).toAbsolutePath(), se.file().toAbsolutePath());
    }

    @Test
    void chooseWorksOnAListingWithoutTouchingDisk() {
        assertEquals(new CheckpointFiles.Choice("model.fp16.safetensors", false), CheckpointFiles.choose(
                List.of("config.json", "model.safetensors", "model.fp16.safetensors"), "model", "fp16", null, "te"));
        assertEquals(new CheckpointFiles.Choice("model.safetensors.index.json", true), CheckpointFiles.choose(
                List.of("model.safetensors.index.json", "model-00001-of-00001.safetensors"), "model", null, true,
                "te"));
        assertTrue(CheckpointFiles.hasVariantFiles(List.of("model.fp16-00001-of-00002.safetensors"), "fp16"));
        assertTrue(!CheckpointFiles.hasVariantFiles(List.of("config.json", "model.safetensors"), "fp16"));
    }
}

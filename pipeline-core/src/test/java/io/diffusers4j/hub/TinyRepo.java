// The files of a small fake pipeline repo (diffusers layout) served by FakeHub.
package io.diffusers4j.hub;

import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.weights.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class TinyRepo {
    static final String COMMIT_MAIN = "a".repeat(40);
    static final String COMMIT_V1 = "b".repeat(40);

    private TinyRepo() {
    }

    /** A safetensors file holding w = [value] and, when {@code bigFloats > 0}, big = bigFloats floats. */
    static byte[] weights(float value, int bigFloats) {
        try {
            Path tmp = Files.createTempFile("tiny", ".safetensors");
            ByteBuffer w = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
            w.flip();
            ByteBuffer big = ByteBuffer.allocate(bigFloats * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < bigFloats; i++) {
                big.putFloat(i * 0.5f);
            }
            big.flip();
            List<SafetensorsWriter.Entry> entries = bigFloats == 0
                    ? List.of(new SafetensorsWriter.Entry("w", "F32", new long[] {1}, w))
                    : List.of(new SafetensorsWriter.Entry("w", "F32", new long[] {1}, w),
                    new SafetensorsWriter.Entry("big", "F32", new long[] {bigFloats}, big));
            SafetensorsWriter.writeEntries(tmp, entries, Map.of("format", "pt"));
            byte[] b = Files.readAllBytes(tmp);
            Files.delete(tmp);
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] fixture(String path) {
        try {
            return Files.readAllBytes(Fixtures.tinySd().resolve(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The main-branch files: unet has an fp16 variant and a pickle; vae is sharded; text_encoder is plain. */
    static Map<String, byte[]> files(int unetBigFloats) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("README.md", text("# tiny\n"));
        m.put("model_index.json", fixture("model_index.json"));
        m.put("scheduler/scheduler_config.json", fixture("scheduler/scheduler_config.json"));
        m.put("tokenizer/tokenizer_config.json", fixture("tokenizer/tokenizer_config.json"));
        m.put("tokenizer/special_tokens_map.json", fixture("tokenizer/special_tokens_map.json"));
        m.put("tokenizer/vocab.json", text("{\"a</w>\": 0}"));
        m.put("tokenizer/merges.txt", text("#version: 0.2\n"));
        m.put("unet/config.json", fixture("unet/config.json"));
        m.put("unet/diffusion_pytorch_model.safetensors", weights(1f, unetBigFloats));
        m.put("unet/diffusion_pytorch_model.fp16.safetensors", weights(2f, 0));
        m.put("unet/diffusion_pytorch_model.bin", text("pickle bytes, never fetched"));
        m.put("text_encoder/config.json", fixture("text_encoder/config.json"));
        m.put("text_encoder/model.safetensors", weights(3f, 0));
        m.put("vae/config.json", fixture("vae/config.json"));
        m.put("vae/diffusion_pytorch_model.safetensors.index.json", text("{\"metadata\":{\"total_size\":8},"
                + "\"weight_map\":{\"w\":\"diffusion_pytorch_model-00001-of-00002.safetensors\","
                + "\"v\":\"diffusion_pytorch_model-00002-of-00002.safetensors\"}}"));
        m.put("vae/diffusion_pytorch_model-00001-of-00002.safetensors", weights(4f, 0));
        m.put("vae/diffusion_pytorch_model-00002-of-00002.safetensors", renamed(weights(5f, 0)));
        return m;
    }

    /** The same single-tensor file with the tensor called "v" (both names have one char: same layout). */
    private static byte[] renamed(byte[] b) {
        String s = new String(b, StandardCharsets.ISO_8859_1).replace("\"w\":", "\"v\":");
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A hub with org/tiny: main -> COMMIT_MAIN, tag v1 -> COMMIT_V1 (a different unet config). */
    static FakeHub hub(int unetBigFloats) throws IOException {
        FakeHub hub = new FakeHub();
        Map<String, byte[]> main = files(unetBigFloats);
        Map<String, byte[]> v1 = new LinkedHashMap<>(main);
        v1.put("unet/config.json", text("{\"_class_name\": \"UNet2DConditionModel\", \"sample_size\": 8}"));
        hub.repo("org/tiny").commit(COMMIT_MAIN, main, "main").commit(COMMIT_V1, v1, "v1", "refs/pr/1");
        return hub;
    }
}

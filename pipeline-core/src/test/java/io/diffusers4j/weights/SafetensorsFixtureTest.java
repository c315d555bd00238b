package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFixtureTest {
    @Test
    void readsEveryFixtureTensorAndRewritesItBitExactly(@TempDir Path tmp) throws Exception {
        for (String f : new String[] {"unet/diffusion_pytorch_model.safetensors",
                "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"}) {
            Path file = Fixtures.tinySd().resolve(f);
            try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
                assertEquals("pt", st.metadata().get("format"));
                assertTrue(st.keys().size() > 20, f);
                Map<String, NDArray> all = new LinkedHashMap<>();
                for (String k : st.keys()) {
                    TensorInfo info = st.info(k);
                    assertEquals("F32", info.dtype(), k);
                    NDArray a = st.load(k, m, DataType.FLOAT32);
                    assertArrayEquals(info.shape(), a.getShape().getShape(), k);
                    all.put(k, a);
                }
                Path out = tmp.resolve(file.getFileName());
                SafetensorsWriter.write(out, all, null, Map.of("format", "pt"));
                assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(out), f);
            }
        }
    }
}

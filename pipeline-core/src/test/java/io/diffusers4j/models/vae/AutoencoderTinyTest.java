// Parity of AutoencoderTiny (TAESD) with diffusers 0.30.3 on a tiny random config, strict loading and bounded configs.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.weights.MapTensorSource;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.WeightLoadException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arrays recorded by {@code scripts/reference/gen_tiny_vae.py} ({@code reference-tiny-vae/}, see its manifest). */
class AutoencoderTinyTest {
    private static NDManager weights;
    private static AutoencoderTiny vae;

    static Path dir() {
        try {
            return Path.of(AutoencoderTinyTest.class.getResource("/reference-tiny-vae/manifest.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path vaeDir() {
        return dir().resolve("tiny-taesd");
    }

    static NDArray npy(NDManager m, String name) {
        try {
            Npy.Array a = Npy.read(dir().resolve(name));
            return m.create(a.floats(), new Shape(a.shape()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void load() {
        weights = NDManager.newBaseManager();
        AutoencoderTinyConfig cfg = ConfigBase.load(vaeDir().resolve("config.json"), AutoencoderTinyConfig.class);
        try (SafetensorsFile st = SafetensorsFile.open(vaeDir().resolve("diffusion_pytorch_model.safetensors"))) {
            vae = AutoencoderTiny.load(cfg, st, weights, DataType.FLOAT32);
        }
    }

    @AfterAll
    static void close() {
        vae.close();
        weights.close();
    }

    @Test
    void decodeMatchesDiffusers() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = vae.decode(npy(m, "decode_latents.npy"));
            double diff = ModelTestSupport.maxAbsDiff(out, npy(m, "decode_sample.npy"));
            System.out.printf("AutoencoderTiny decode parity: max abs diff %.3g%n", diff);
            assertTrue(diff < 1e-4, "decode max abs diff " + diff);
        }
    }

    @Test
    void encodeMatchesDiffusers() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = vae.encode(npy(m, "encode_image.npy"));
            double diff = ModelTestSupport.maxAbsDiff(out, npy(m, "encode_latents.npy"));
            System.out.printf("AutoencoderTiny encode parity: max abs diff %.3g%n", diff);
            assertTrue(diff < 1e-4, "encode max abs diff " + diff);
            try (NDArray again = vae.retrieveLatents(npy(m, "encode_image.npy"), null)) {
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(out, again), "retrieve_latents = encode(x).latents");
            }
        }
    }

    @Test
    void forwardQuantisesLikeDiffusers() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = vae.forward(npy(m, "encode_image.npy"));
            double diff = ModelTestSupport.maxAbsDiff(out, npy(m, "forward_sample.npy"));
            assertTrue(diff < 1e-4, "forward max abs diff " + diff);
        }
    }

    @Test
    void slicingGivesTheUnslicedOutput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = npy(m, "decode_latents.npy");
            NDArray x = npy(m, "encode_image.npy");
            NDArray whole = vae.decode(z);
            NDArray enc = vae.encode(x);
            vae.enableSlicing();
            try {
                assertTrue(ModelTestSupport.maxAbsDiff(whole, vae.decode(z)) < 1e-5);
                assertTrue(ModelTestSupport.maxAbsDiff(enc, vae.encode(x)) < 1e-5);
            } finally {
                vae.disableSlicing();
            }
            assertThrows(UnsupportedOperationException.class, vae::enableTiling);
        }
    }

    @Test
    void configIsDiffusers() {
        AutoencoderTinyConfig cfg = vae.config();
        assertEquals(2, vae.scaleFactor(), "2 ** (len(decoder_block_out_channels) - 1)");
        assertEquals(1.0, vae.scalingFactor());
        assertEquals(0.0, vae.shiftFactor());
        assertFalse(vae.forceUpcast());
        assertEquals("AutoencoderTiny", vae.className());
        assertArrayEquals(cfg.decoderBlockOutChannels, cfg.blockOutChannels);
        assertTrue(cfg.extraKeys().isEmpty(), "every key of diffusers' config.json is typed: " + cfg.extraKeys());
        assertEquals(3.0, cfg.latentMagnitude);
        assertEquals(0.5, cfg.latentShift);
    }

    @Test
    void loadingIsStrict() {
        Map<String, NDArray> sd = new LinkedHashMap<>(vae.stateDict());
        NDArray extra = sd.remove("decoder.layers.0.bias");
        sd.put("decoder.layers.99.weight", extra);
        try (NDManager m = NDManager.newBaseManager(); MapTensorSource w = new MapTensorSource(sd, "vae")) {
            WeightLoadException e = assertThrows(WeightLoadException.class,
                    () -> AutoencoderTiny.load(vae.config(), w, m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("decoder.layers.0.bias"), e.getMessage());
            assertTrue(e.getMessage().contains("decoder.layers.99.weight"), e.getMessage());
        }
    }

    @Test
    void everySizeIsBoundedAndNamesFileAndKey(@TempDir Path tmp) throws IOException {
        String base = Files.readString(vaeDir().resolve("config.json"));
        Object[][] cases = {
                {"num_decoder_blocks", "[2, 1000000]", "num_decoder_blocks"},
                {"decoder_block_out_channels", "[24, 100000]", "decoder_block_out_channels"},
                {"encoder_block_out_channels", "[16, -1]", "encoder_block_out_channels"},
                {"latent_channels", "-4", "latent_channels"},
                {"upsampling_scaling_factor", "1000", "upsampling_scaling_factor"},
                {"num_encoder_blocks", "[1, 2, 3]", "num_encoder_blocks"},
                {"upsample_fn", "\"bilinear\"", "upsample_fn"},
        };
        for (Object[] c : cases) {
            JsonObject json = JsonParser.parseString(base).getAsJsonObject();
            json.add((String) c[0], JsonParser.parseString((String) c[1]));
            Path file = tmp.resolve("config.json");
            Files.writeString(file, json.toString());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ConfigBase.load(file, AutoencoderTinyConfig.class), (String) c[0]);
            String msg = e.getMessage();
            assertEquals(1, msg.lines().count(), msg);
            assertTrue(msg.contains("config.json") && msg.contains((String) c[2]), msg);
        }
    }

    @Test
    void aConfigThatDoesNotFitItsWeightsIsRefusedBeforeBuilding() {
        AutoencoderTinyConfig cfg = ConfigBase.load(vaeDir().resolve("config.json"), AutoencoderTinyConfig.class);
        cfg.latentChannels = 8;
        try (NDManager m = NDManager.newBaseManager();
             SafetensorsFile st = SafetensorsFile.open(vaeDir().resolve("diffusion_pytorch_model.safetensors"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AutoencoderTiny.load(cfg, st, m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("latent_channels"), e.getMessage());
        }
    }
}

// AutoencoderKL configurations beyond the fixture: three blocks, another scaling factor, no quant convs, float16,
// save/reload, deprecated attention names, strict loading, memory.
package io.diffusers4j.models.vae;

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
import io.diffusers4j.weights.WeightLoadException;
import io.diffusers4j.weights.WeightScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoencoderKLConfigurationsTest {
    static AutoencoderKLConfig threeBlocks() {
        AutoencoderKLConfig c = new AutoencoderKLConfig();
        c.blockOutChannels = new int[] {16, 32, 32};
        c.downBlockTypes = List.of("DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D");
        c.upBlockTypes = List.of("UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D");
        c.layersPerBlock = 1;
        c.normNumGroups = 8;
        c.sampleSize = IntOrList.of(32);
        c.scalingFactor = 0.13025;
        c.useQuantConv = false;
        return c;
    }

    private static Path fixtureVae() {
        return Fixtures.tinySd().resolve("vae");
    }

    @Test
    void threeBlocksWithoutQuantConvSaveAndReloadBitExactly(@TempDir Path tmp) throws Exception {
        AutoencoderKLConfig cfg = threeBlocks();
        try (NDManager m = NDManager.newBaseManager();
             AutoencoderKL vae = AutoencoderKL.randomInit(cfg, 11, m, DataType.FLOAT32)) {
            assertEquals(4, vae.config().scaleFactor());
            assertEquals(8, vae.tileLatentMinSize());
            Map<String, NDArray> sd = vae.stateDict();
            assertFalse(sd.containsKey("quant_conv.weight"));
            assertEquals(new Shape(4, 4, 1, 1), sd.get("post_quant_conv.weight").getShape());
            assertEquals(new Shape(8, 32, 3, 3), sd.get("encoder.conv_out.weight").getShape());
            assertTrue(sd.containsKey("decoder.up_blocks.2.resnets.1.conv2.weight"));
            assertFalse(sd.containsKey("decoder.up_blocks.2.upsamplers.0.conv.weight"));

            NDArray z = ModelTestSupport.randn(m, 101, 2, 4, 6, 5);
            NDArray img = vae.decode(z);
            assertEquals(new Shape(2, 3, 24, 20), img.getShape());
            NDArray x = ModelTestSupport.uniform(m, 104, 1, 3, 24, 20);
            DiagonalGaussianDistribution post = vae.encode(x);
            assertEquals(new Shape(1, 4, 6, 5), post.mean().getShape());

            Path dir = tmp.resolve("vae");
            cfg.save(dir.resolve("config.json"));
            SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), sd, null,
                    Map.of("format", "pt"));
            AutoencoderKLConfig reread = ConfigBase.load(dir.resolve("config.json"), AutoencoderKLConfig.class);
            assertEquals(0.13025, reread.scalingFactor);
            assertFalse(reread.useQuantConv);
            try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("diffusion_pytorch_model.safetensors"));
                 AutoencoderKL again = AutoencoderKL.load(reread, st, m, DataType.FLOAT32)) {
                // the weights round-trip bit exactly ...
                for (Map.Entry<String, NDArray> e : sd.entrySet()) {
                    assertEquals(0.0, ModelTestSupport.maxAbsDiff(again.stateDict().get(e.getKey()), e.getValue()),
                            e.getKey());
                }
                // ... and compute the same images; the reloaded weights are memory-mapped, so they run prepacked
                // oneDNN convolutions, which round differently from torch.conv2d at batch 1 (~1e-6)
                assertTrue(ModelTestSupport.maxAbsDiff(again.decode(z), img) < 1e-5);
                assertTrue(ModelTestSupport.maxAbsDiff(again.encode(x).parameters(), post.parameters()) < 1e-5);
            }
        }
    }

    @Test
    void publishedSdxlVaeConfigReads() {
        String json = """
                {"_class_name": "AutoencoderKL", "_diffusers_version": "0.20.0.dev0", "act_fn": "silu",
                 "block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D",
                 "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"], "force_upcast": true,
                 "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32,
                 "out_channels": 3, "sample_size": 1024, "scaling_factor": 0.13025,
                 "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]}""";
        AutoencoderKLConfig cfg = ConfigBase.fromJson(ConfigBase.parseJsonObject(json, "sdxl-vae"),
                AutoencoderKLConfig.class, "sdxl-vae");
        assertEquals(0.13025, cfg.scalingFactor);
        assertEquals(8, cfg.scaleFactor());
        assertEquals(1024, cfg.sampleSizeValue());
        assertTrue(cfg.forceUpcast && cfg.useQuantConv && cfg.usePostQuantConv && cfg.shiftFactor == null);
    }

    @Test
    void deprecatedAttentionNamesLoadAndSaveUnderTheCurrentNames(@TempDir Path tmp) throws Exception {
        AutoencoderKLConfig cfg = ConfigBase.load(fixtureVae().resolve("config.json"), AutoencoderKLConfig.class);
        try (NDManager m = NDManager.newBaseManager();
             SafetensorsFile st = SafetensorsFile.open(fixtureVae().resolve("diffusion_pytorch_model.safetensors"));
             AutoencoderKL current = AutoencoderKL.load(cfg, st, m, DataType.FLOAT32)) {
            Map<String, NDArray> old = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : current.stateDict().entrySet()) {
                old.put(e.getKey().replace(".to_q.", ".query.").replace(".to_k.", ".key.")
                        .replace(".to_v.", ".value.").replace(".to_out.0.", ".proj_attn."), e.getValue());
            }
            assertTrue(old.containsKey("decoder.mid_block.attentions.0.proj_attn.weight"));
            Path file = tmp.resolve("old.safetensors");
            SafetensorsWriter.write(file, old, null, Map.of("format", "pt"));
            NDArray z = ModelTestSupport.npy(m, "tiny-sd_vae_latents.npy");
            try (SafetensorsFile oldFile = SafetensorsFile.open(file);
                 AutoencoderKL legacy = AutoencoderKL.load(cfg, oldFile, m, DataType.FLOAT32)) {
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(legacy.decode(z), current.decode(z)));
                assertEquals(current.stateDict().keySet(), legacy.stateDict().keySet());
            }
        }
    }

    @Test
    void strictLoadingAndUnsupportedBlocks() {
        AutoencoderKLConfig cfg = ConfigBase.load(fixtureVae().resolve("config.json"), AutoencoderKLConfig.class);
        cfg.latentChannels = 8;
        try (NDManager m = NDManager.newBaseManager();
             SafetensorsFile st = SafetensorsFile.open(fixtureVae().resolve("diffusion_pytorch_model.safetensors"))) {
            // loading checks the config's sizes against the checkpoint's header first, naming the key
            IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                    () -> AutoencoderKL.load(cfg, st, m, DataType.FLOAT32));
            assertFalse(k instanceof WeightLoadException, k.getMessage());
            assertTrue(k.getMessage().contains("key 'latent_channels' is 8 but " + st.describe() + " has "
                    + "encoder.conv_out.weight of shape [8, 64, 3, 3] (16 expected in dimension 0)"), k.getMessage());
            // strict loading itself still reports every mismatch with both shapes
            WeightScope root = WeightScope.load(st, m, DataType.FLOAT32);
            AutoencoderKL.load(cfg, root);
            WeightLoadException e = assertThrows(WeightLoadException.class, root::finish);
            assertTrue(e.getMessage().contains("encoder.conv_out.weight: checkpoint [8, 64, 3, 3] vs model "
                    + "[16, 64, 3, 3]"), e.getMessage());
            assertTrue(e.getMessage().contains("post_quant_conv.weight: checkpoint [4, 4, 1, 1] vs model "
                    + "[8, 8, 1, 1]"), e.getMessage());
            AutoencoderKLConfig attn = threeBlocks();
            attn.downBlockTypes = List.of("DownEncoderBlock2D", "AttnDownEncoderBlock2D", "DownEncoderBlock2D");
            IllegalArgumentException u = assertThrows(IllegalArgumentException.class,
                    () -> AutoencoderKL.randomInit(attn, 0, m, DataType.FLOAT32));
            assertTrue(u.getMessage().contains("'AttnDownEncoderBlock2D'")
                    && u.getMessage().contains("supported: DownEncoderBlock2D"), u.getMessage());
            AutoencoderKLConfig bad = threeBlocks();
            bad.upBlockTypes = List.of("UpDecoderBlock2D");
            IllegalArgumentException v = assertThrows(IllegalArgumentException.class, bad::validate);
            assertTrue(v.getMessage().contains("[UpDecoderBlock2D]") && v.getMessage().contains("[16, 32, 32]"),
                    v.getMessage());
        }
    }

    @Test
    void decodeFreesItsTemporaries() {
        try (NDManager weights = NDManager.newBaseManager(); NDManager m = NDManager.newBaseManager();
             AutoencoderKL vae = AutoencoderKL.randomInit(threeBlocks(), 1, weights, DataType.FLOAT32)) {
            NDArray z = ModelTestSupport.randn(m, 102, 1, 4, 8, 8);
            NDArray x = ModelTestSupport.uniform(m, 105, 1, 3, 32, 32);
            vae.decode(z).close();
            vae.encode(x).close();
            int w = weights.getManagedArrays().size();
            int c = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                vae.decode(z).close();
                vae.encode(x).close();
                vae.enableTiling(16, 4, 0.25);
                vae.decode(z).close();
                vae.disableTiling();
            }
            assertEquals(w, weights.getManagedArrays().size());
            assertEquals(c, m.getManagedArrays().size());
        }
    }

    @Test
    void float16DecodeTracksFloat32() {
        try (NDManager m = NDManager.newBaseManager();
             AutoencoderKL v32 = AutoencoderKL.randomInit(threeBlocks(), 2, m, DataType.FLOAT32);
             AutoencoderKL v16 = AutoencoderKL.randomInit(threeBlocks(), 2, m, DataType.FLOAT16)) {
            NDArray z = ModelTestSupport.randn(m, 103, 1, 4, 4, 4);
            NDArray ref = v32.decode(z);
            NDArray half = v16.decode(z.toType(DataType.FLOAT16, false));
            assertEquals(DataType.FLOAT16, half.getDataType());
            double diff = ModelTestSupport.maxAbsDiff(half, ref);
            System.out.printf("VAE float16 vs float32 decode: max abs diff %.3g (max abs %.3g)%n", diff,
                    ModelTestSupport.maxAbs(ref));
            assertTrue(diff < 0.02 * Math.max(1, ModelTestSupport.maxAbs(ref)), "" + diff);
        }
    }
}

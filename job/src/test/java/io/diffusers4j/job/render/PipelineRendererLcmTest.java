package io.diffusers4j.job.render;

import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job's production renderer on the diffusers-made tiny LCM checkpoint (pipeline-core's reference data): it
 * renders with StableDiffusionPipeline over the LCM components, which gives diffusers' LatentConsistencyModelPipeline
 * image of case {@code lcm_default} (4 steps, guidance 8.5, seed 100) up to 8-bit rounding.
 */
class PipelineRendererLcmTest {
    private static final Path REFERENCE = Path.of("..", "pipeline-core", "src", "test", "resources", "reference")
            .toAbsolutePath().normalize();

    @Test
    void rendersAnLcmCheckpointLikeDiffusers() throws Exception {
        PipelineSpec spec = new PipelineSpec(REFERENCE.resolve("tiny-lcm").toString(), null, null, "float32", "cpu",
                null, Map.of(), PipelineSpec.DEFAULT_RENDERER, 0);
        try (Renderer r = new PipelineRenderer.Factory().create(spec, "cpu")) {
            assertEquals("LCMScheduler", r.schedulerName());
            List<BufferedImage> images = r.render(new RenderSettings(4, 8.5, 64, 64, null),
                    List.of(new ImageRequest("a photo of an astronaut riding a horse on mars", null, 100)));
            float[] want = Npy.read(REFERENCE.resolve("lcm_default/image.npy")).floats();
            BufferedImage img = images.get(0);
            double diff = 0;
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    int rgb = img.getRGB(x, y);
                    for (int ch = 0; ch < 3; ch++) {
                        int v = (rgb >> (16 - 8 * ch)) & 0xFF;
                        diff = Math.max(diff, Math.abs(v / 255.0 - want[(y * 64 + x) * 3 + ch]));
                    }
                }
            }
            assertTrue(diff <= 1.0 / 255 + 1e-3, "max |diff| vs diffusers' lcm_default: " + diff);
        }
    }
}

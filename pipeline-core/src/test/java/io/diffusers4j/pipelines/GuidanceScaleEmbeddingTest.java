package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GuidanceScaleEmbedding} against diffusers 0.30.3's {@code get_guidance_scale_embedding}: several w (negative,
 * zero, non-representable in float32) at even, odd (zero-padded) and LCM-sized dims, and the {@code timestep_cond}
 * every LCM reference case gave its UNet.
 */
class GuidanceScaleEmbeddingTest {
    private static final double TOLERANCE = 1e-6;

    /**
     * Localised: (1) the frequency table within 1 ulp of the one torch computed inside diffusers' call (the only
     * build-dependent op: this libtorch's MKL exp is correctly rounded, the reference torch's SLEEF exp is not
     * always); (2) given torch's own table, the embedding within 1e-6; (3) end to end within what (1) implies for
     * the sines' float32 arguments {@code w * 1000 * freq}: the propagated {@code max|w * 1000| * max|freq
     * difference|} plus one rounding of the product ({@code ulp(max|w * 1000|)}), plus 1e-6.
     */
    @Test
    void matchesDiffusersForSeveralDims() throws Exception {
        JsonObject c = DiffusersReferencePipelineTest.cases("guidance_embedding").get(0);
        ReferenceCase rc = new ReferenceCase(c, DiffusersReferencePipelineTest.referenceDir());
        List<JsonElement> ws = c.getAsJsonArray("w").asList();
        float[] w = new float[ws.size()];
        double maxArg = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ws.get(i).getAsDouble();
            maxArg = Math.max(maxArg, Math.abs(w[i] * 1000f));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            for (int dim : new int[] {32, 7, 256}) {
                Npy.Array ref = rc.file("dim" + dim);
                Npy.Array refFreqs = rc.file("freqs_dim" + dim);
                float[] freqs = GuidanceScaleEmbedding.frequencies(m, dim).toFloatArray();
                double freqDiff = 0;
                int ulpOff = 0;
                for (int j = 0; j < freqs.length; j++) {
                    float want = refFreqs.floats()[j];
                    assertTrue(Math.abs(freqs[j] - want) <= Math.ulp(want), "dim " + dim + " freq " + j + ": "
                            + freqs[j] + " vs torch " + want);
                    freqDiff = Math.max(freqDiff, Math.abs(freqs[j] - want));
                    ulpOff += freqs[j] == want ? 0 : 1;
                }
                NDArray torchFreqs = m.create(refFreqs.floats());
                double given = ReferenceCase.maxAbsDiff(ref.floats(),
                        GuidanceScaleEmbedding.embed(m, w, torchFreqs, dim).toFloatArray());
                NDArray emb = GuidanceScaleEmbedding.getGuidanceScaleEmbedding(m, w, dim);
                assertArrayEquals(ref.shape(), emb.getShape().getShape(), "dim " + dim);
                double diff = ReferenceCase.maxAbsDiff(ref.floats(), emb.toFloatArray());
                double bound = TOLERANCE + maxArg * freqDiff + (freqDiff > 0 ? Math.ulp((float) maxArg) : 0);
                System.out.printf("guidance embedding dim %d: %d of %d freqs 1 ulp off torch's; with torch's freqs "
                        + "max |diff| %.3g; end to end %.3g (bound %.3g)%n", dim, ulpOff, freqs.length, given, diff,
                        bound);
                assertTrue(given <= TOLERANCE, "dim " + dim + " with torch's frequencies: max |diff| " + given);
                assertTrue(diff <= bound, "dim " + dim + " max |diff| " + diff + " > " + bound);
            }
        }
    }

    @Test
    void matchesTheTimestepCondOfEveryLcmCase() throws Exception {
        int checked = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (JsonObject c : DiffusersReferencePipelineTest.cases("pipeline")) {
                if (!c.getAsJsonObject("files").has("timestep_cond")) {
                    continue;
                }
                ReferenceCase rc = new ReferenceCase(c, DiffusersReferencePipelineTest.referenceDir());
                Npy.Array ref = rc.file("timestep_cond");
                JsonObject call = c.getAsJsonObject("call");
                double g = call.has("guidance_scale") ? call.get("guidance_scale").getAsDouble()
                        : LatentConsistencyModelPipeline.DEFAULT_GUIDANCE_SCALE;
                int batch = (int) ref.shape()[0];
                NDArray emb = GuidanceScaleEmbedding.forGuidanceScale(m, g, batch, (int) ref.shape()[1]);
                double diff = ReferenceCase.maxAbsDiff(ref.floats(), emb.toFloatArray());
                // same bound as above with a frequency (<= 1) up to 1 ulp of 1 off torch's
                float arg = Math.abs((float) (g - 1) * 1000f);
                double bound = TOLERANCE + arg * Math.ulp(1f) + Math.ulp(arg);
                System.out.printf("%s timestep_cond max |diff| %.3g (bound %.3g)%n", c.get("name").getAsString(),
                        diff, bound);
                assertTrue(diff <= bound, c.get("name").getAsString() + " max |diff| " + diff + " > " + bound);
                checked++;
            }
        }
        assertEquals(12, checked, "LCM-UNet cases with a recorded timestep_cond");
    }

    @Test
    void refusesDimsWithoutFrequencies() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(IllegalArgumentException.class,
                    () -> GuidanceScaleEmbedding.getGuidanceScaleEmbedding(m, new float[] {1f}, 3));
        }
    }
}

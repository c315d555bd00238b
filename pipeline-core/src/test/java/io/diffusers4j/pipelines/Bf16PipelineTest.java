// dtype bfloat16 on the tiny fixture: a tolerance test against our own float32 render, and where it is refused.
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.image.ImageDifference;
import io.diffusers4j.models.nn.Bf16Support;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code dtype("bfloat16")}: float32 weights and activations with bfloat16 convolutions and linear layers. Not a
 * parity test (diffusers parity is float32 only): the bfloat16 render is compared with our own float32 render of
 * the same call, and must stay within 30 dB PSNR of it. The refusals are checked with simulated CPUs.
 */
class Bf16PipelineTest {
    private static final double MIN_PSNR_DB = 30;

    private static PipelineCall call() {
        return new PipelineCall().prompt("a photograph of an astronaut riding a horse").numInferenceSteps(10)
                .outputType("np").seed(42);
    }

    @Test
    void tinyFixtureInBfloat16IsWithin30DbOfFloat32() {
        assumeTrue(Bf16Support.unsupportedReason(Device.cpu()).isEmpty(), "bfloat16 compute unsupported here");
        String dir = Fixtures.tinySd().toString();
        float[] f32;
        try (StableDiffusionPipeline p = (StableDiffusionPipeline) DiffusionPipeline.fromPretrained(dir,
                new PipelineOptions())) {
            f32 = p.call(call()).data();
        }
        try (StableDiffusionPipeline p = (StableDiffusionPipeline) DiffusionPipeline.fromPretrained(dir,
                new PipelineOptions().dtype("bfloat16"))) {
            assertEquals(DataType.FLOAT32, p.dtype(), "the arrays are float32; the compute is bfloat16");
            float[] bf16 = p.call(call()).data();
            ImageDifference d = ImageDifference.of(f32, bf16);
            assertTrue(d.maxAbs() > 0, "the bfloat16 path ran (the image differs from float32)");
            assertTrue(d.psnrDb() >= MIN_PSNR_DB, "PSNR vs float32 " + d.psnrDb() + " dB, max abs " + d.maxAbs());
        }
    }

    /** DJL 0.36 aborts the JVM on a bfloat16 array: the model's weights and every result are float32. */
    @Test
    void noBfloat16ArrayReachesDjl() {
        assumeTrue(Bf16Support.unsupportedReason(Device.cpu()).isEmpty(), "bfloat16 compute unsupported here");
        try (StableDiffusionPipeline p = (StableDiffusionPipeline) DiffusionPipeline.fromPretrained(
                Fixtures.tinySd().toString(), new PipelineOptions().dtype("bfloat16"));
             NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel unet = p.unet();
            for (var models : List.of(unet.stateDict(), p.vae().stateDict(),
                    p.textEncoder().stateDict())) {
                for (NDArray w : models.values()) {
                    assertEquals(DataType.FLOAT32, w.getDataType());
                }
            }
            long c = unet.config().inChannels;
            NDArray sample = m.randomNormal(new Shape(2, c, 8, 8));
            NDArray text = m.randomNormal(new Shape(2, 77, unet.config().crossAttentionDim.get(0)));
            NDArray out = unet.forward(sample, m.create(10f), text);
            assertEquals(DataType.FLOAT32, out.getDataType());
            assertEquals(sample.getShape(), out.getShape());
            assertEquals(DataType.FLOAT32, p.vae().decode(sample).getDataType());
        }
    }

    @Test
    void aCpuWithoutBf16InstructionsIsRefusedWithTheReason(@TempDir Path tmp) throws Exception {
        Path cpuinfo = tmp.resolve("cpuinfo");
        Files.writeString(cpuinfo, "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma avx512f avx512bw\n");
        try (Fixtures.TestProperty cpu = Fixtures.property("diffusers4j.cpuinfo", cpuinfo.toString())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                            new PipelineOptions().dtype("bfloat16")));
            assertTrue(e.getMessage().contains("neither avx512_bf16 nor amx_bf16"), e.getMessage());
            try (StableDiffusionPipeline p = Fixtures.tinySdPipeline()) {
                assertThrows(IllegalArgumentException.class, () -> p.to(Device.cpu(), DataType.BFLOAT16));
            }
        }
    }

    @Test
    void cudaIsRefusedBeforeAnyWeightLoads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                        new PipelineOptions().dtype("bfloat16").device(Device.gpu())));
        assertTrue(e.getMessage().contains("on CUDA use float16"), e.getMessage());
    }
}

// `generate --dtype bfloat16` and the job's dtype bfloat16: run where the CPU has the instructions, one line elsewhere.
package io.diffusers4j.cli;

import ai.djl.Device;
import io.diffusers4j.job.DriverModel;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.models.nn.Bf16Support;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class GenerateBf16Test {
    @Test
    void generatesOnACpuWithTheInstructions(@TempDir Path dir) throws Exception {
        assumeTrue(Bf16Support.unsupportedReason(Device.cpu()).isEmpty(), "bfloat16 compute unsupported here");
        Path npy = dir.resolve("out.npy");
        Object[] r = GenerateOutputTest.run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", "a cat",
                "--seed", "0", "--steps", "2", "--dtype", "bfloat16", "--output-type", "np", "--output",
                npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertArrayEquals(new long[] {1, 64, 64, 3}, Npy.read(npy).shape());
    }

    @Test
    void aCpuWithoutThemIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n");
        try (Fixtures.TestProperty cpu = Fixtures.property("diffusers4j.cpuinfo", cpuinfo.toString())) {
            Path out = dir.resolve("out");
            Object[] r = GenerateOutputTest.run("generate", "--model", Fixtures.tinySd().toString(), "--prompt",
                    "a cat", "--dtype", "bfloat16", "--output", out.toString(), "--no-progress");
            assertEquals(2, r[0], (String) r[1]);
            String err = ((String) r[1]).strip();
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.contains("--dtype bfloat16 refused: this CPU has neither avx512_bf16 nor amx_bf16"), err);
            assertFalse(Files.exists(out));
            // the job: a local master checks the driver's CPU before Spark starts
            PipelineSpec spec = new PipelineSpec(Fixtures.tinySd().toString(), null, null, "bfloat16", "cpu", null,
                    Map.of(), null, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DriverModel.prepare(spec, true, null));
            assertTrue(e.getMessage().contains("neither avx512_bf16 nor amx_bf16"), e.getMessage());
            assertEquals(spec, DriverModel.prepare(spec, false, null), "a cluster's executors check their own CPUs");
        }
    }
}

// Where bfloat16 compute is offered and the reasons it is refused elsewhere (CPU flags simulated).
package io.diffusers4j.models.nn;

import ai.djl.Device;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bf16SupportTest {
    /** A two-processor /proc/cpuinfo excerpt with the given flags. */
    static String cpuinfo(String flags) {
        String one = "processor\t: %d\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: %s\n\n";
        return String.format(one, 0, flags) + String.format(one, 1, flags);
    }

    private static Optional<String> reason(String text) {
        return Bf16Support.cpuReason(new Bf16Support.CpuInfo("/proc/cpuinfo", text));
    }

    @Test
    void avx512Bf16OrAmxBf16IsEnough() {
        assertEquals(Optional.empty(), reason(cpuinfo("fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512_vnni")));
        assertEquals(Optional.empty(), reason(cpuinfo("fpu avx512f amx_tile amx_bf16 amx_int8")));
    }

    @Test
    void aCpuWithoutThemIsRefusedWithTheReason() {
        String avx512Only = reason(cpuinfo("fpu sse2 avx2 avx512f avx512bw avx512_vnni")).orElseThrow();
        assertTrue(avx512Only.contains("neither avx512_bf16 nor amx_bf16") && avx512Only.contains("use float32"),
                avx512Only);
        // "bf16" as a substring of another flag does not count
        assertTrue(reason(cpuinfo("avx512_bf16x avx_vnni")).isPresent());
        assertTrue(reason("processor : 0\nFeatures : fp asimd bf16\n").orElseThrow().contains("x86-64"));
        assertTrue(reason(null).orElseThrow().contains("cannot tell"));
    }

    @Test
    void theCpuinfoPropertySimulatesAnotherCpu(@TempDir Path tmp) throws Exception {
        Path without = tmp.resolve("cpuinfo-avx2");
        Files.writeString(without, cpuinfo("fpu sse2 avx2 fma"));
        Path with = tmp.resolve("cpuinfo-bf16");
        Files.writeString(with, cpuinfo("fpu avx512f avx512_bf16"));
        try (Fixtures.TestProperty cpu = Fixtures.property("diffusers4j.cpuinfo", without.toString())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Bf16Support.require(Device.cpu()));
            assertTrue(e.getMessage().startsWith("dtype bfloat16 refused: this CPU has neither avx512_bf16"),
                    e.getMessage());
            cpu.set(tmp.resolve("missing").toString());
            assertTrue(Bf16Support.unsupportedReason(Device.cpu()).orElseThrow().contains("unreadable"));
            cpu.set(with.toString());
            assertEquals(TorchOps.available(), Bf16Support.unsupportedReason(Device.cpu()).isEmpty());
        }
    }

    @Test
    void cudaIsRefusedWhateverTheCpu() {
        String why = Bf16Support.unsupportedReason(Device.gpu()).orElseThrow();
        assertTrue(why.contains("on CUDA use float16"), why);
    }
}

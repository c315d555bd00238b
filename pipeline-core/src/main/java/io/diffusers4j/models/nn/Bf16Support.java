// Whether bfloat16 compute (torch.autocast("cpu", dtype=torch.bfloat16)) is worth running here, and why not.
package io.diffusers4j.models.nn;

import ai.djl.Device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The checks behind {@code dtype bfloat16}: float32 weights and activations, with convolutions and linear layers
 * computed in bfloat16 inside libtorch ({@link TorchOps}; docs/design.md#bfloat16-compute-on-the-cpu). It is offered
 * only where it is fast: on the CPU, with the runtime-compiled TorchScript ops loaded, on an x86-64 CPU whose flags
 * (Linux {@code /proc/cpuinfo}) include {@code avx512_bf16} or {@code amx_bf16}. Without those instructions oneDNN
 * emulates bfloat16 and is slower than float32; on CUDA float16 is the reduced precision to use.
 *
 * <p>{@code -Ddiffusers4j.cpuinfo=PATH} reads the flags from another file (tests simulate CPUs with it).
 */
public final class Bf16Support {
    /** CPU flags (as Linux names them) that give libtorch's oneDNN kernels native bfloat16 dot products. */
    public static final Set<String> BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");

    private Bf16Support() {
    }

    /**
     * Why bfloat16 compute is refused on {@code device}, or empty when it is supported there. The reason is one
     * sentence naming what is missing and what to use instead.
     */
    public static Optional<String> unsupportedReason(Device device) {
        if (device != null && device.isGpu()) {
            return Optional.of("bfloat16 compute is a CPU feature here (float32 weights, bfloat16 convolutions and "
                    + "linear layers on AVX512-BF16 / AMX CPUs); on CUDA use float16");
        }
        Optional<String> cpu = cpuReason(cpuinfo());
        if (cpu.isPresent()) {
            return cpu;
        }
        if (!TorchOps.available()) {
            return Optional.of("bfloat16 compute runs inside the runtime-compiled TorchScript ops, which are "
                    + "unavailable or switched off (-Ddiffusers4j.torch-ops=false); use float32");
        }
        return Optional.empty();
    }

    /** Throws {@link IllegalArgumentException} with the reason when bfloat16 compute is refused on {@code device}. */
    public static void require(Device device) {
        Optional<String> reason = unsupportedReason(device);
        if (reason.isPresent()) {
            throw new IllegalArgumentException("dtype bfloat16 refused: " + reason.get());
        }
    }

    /**
     * The CPU part of the check, on the text of a {@code /proc/cpuinfo} (null when it could not be read): empty when
     * some processor lists a flag of {@link #BF16_FLAGS}.
     */
    static Optional<String> cpuReason(CpuInfo info) {
        if (info.text() == null) {
            return Optional.of("cannot tell whether this CPU has bfloat16 instructions (" + info.source()
                    + " unreadable; only Linux is checked); use float32");
        }
        Set<String> flags = flags(info.text());
        if (flags.isEmpty()) {
            return Optional.of("no CPU flags in " + info.source() + " (only x86-64 CPUs are checked); use float32");
        }
        if (flags.stream().noneMatch(BF16_FLAGS::contains)) {
            return Optional.of("this CPU has neither avx512_bf16 nor amx_bf16 (" + info.source() + "), so "
                    + "bfloat16 would be emulated and slower than float32; use float32");
        }
        return Optional.empty();
    }

    /** The flags of the first {@code flags} line of a {@code /proc/cpuinfo} text (empty when there is none). */
    static Set<String> flags(String cpuinfo) {
        return cpuinfo.lines()
                .filter(l -> l.startsWith("flags"))
                .findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim().toLowerCase(Locale.ROOT))
                .map(l -> Arrays.stream(l.split("\\s+")).filter(s -> !s.isEmpty()).collect(Collectors.toSet()))
                .orElse(Set.of());
    }

    /** The text of a cpuinfo file and where it came from ({@code text} null when unreadable). */
    record CpuInfo(String source, String text) {
    }

    /** {@code /proc/cpuinfo}, or the file {@code -Ddiffusers4j.cpuinfo} names. */
    static CpuInfo cpuinfo() {
        Path path = Path.of(System.getProperty("diffusers4j.cpuinfo", "/proc/cpuinfo"));
        try {
            return new CpuInfo(path.toString(), Files.readString(path));
        } catch (IOException | RuntimeException e) {
            return new CpuInfo(path.toString(), null);
        }
    }
}

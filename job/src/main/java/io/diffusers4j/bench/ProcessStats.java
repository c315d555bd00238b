// What the benchmark reads about its own process: resident memory (/proc/self/status), allocator, load average.
package io.diffusers4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Linux process facts for the benchmark. Memory figures are in MiB and come from {@code /proc/self/status}
 * ({@code VmRSS}, and {@code VmHWM}, the peak resident set); {@link #resetPeak()} writes 5 to
 * {@code /proc/self/clear_refs}, which resets the peak to the current resident set (Linux 4.0+), so each phase's
 * peak can be measured on its own. Off Linux every figure is -1.
 */
final class ProcessStats {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessStats() {
    }

    /** Current resident set in MiB, or -1. */
    static double rssMb() {
        return statusKb("VmRSS:") / 1024.0;
    }

    /** The kernel's estimate of memory available to new work (MemAvailable in /proc/meminfo), in MiB, or -1. */
    static double memAvailableMb() {
        long kb = kb(Path.of("/proc/meminfo"), "MemAvailable:");
        return kb < 0 ? -1 : kb / 1024.0;
    }

    /** Peak resident set since start or the last {@link #resetPeak()}, in MiB, or -1. */
    static double peakRssMb() {
        return statusKb("VmHWM:") / 1024.0;
    }

    /** Resets the peak resident set to the current one; false when the kernel does not allow it. */
    static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    private static long statusKb(String key) {
        return kb(STATUS, key);
    }

    /** The value of a "{@code key} N kB" line of {@code file}, or -1. */
    private static long kb(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith(key)) {
                    String v = line.substring(key.length()).trim();
                    return Long.parseLong(v.substring(0, v.indexOf(' ')));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * The malloc in use: the tcmalloc or jemalloc library mapped into this process (the launcher preloads one when
     * installed), else "glibc".
     */
    static String allocator() {
        try {
            List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.UTF_8);
            for (String name : List.of("libtcmalloc_minimal", "libtcmalloc", "libjemalloc", "libmimalloc")) {
                for (String line : maps) {
                    int at = line.indexOf('/');
                    if (at >= 0 && line.substring(at).contains("/" + name + ".so")) {
                        String path = line.substring(at);
                        String lib = path.substring(path.lastIndexOf('/') + 1);
                        return lib.startsWith("libtcmalloc") ? "tcmalloc (" + lib + ")"
                                : lib.startsWith("libjemalloc") ? "jemalloc (" + lib + ")" : lib;
                    }
                }
            }
            return "glibc";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The 1-minute load average (other processes competing for the cores), or -1. */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}

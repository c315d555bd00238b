// scripts/gpu-check.sh on a machine without a GPU: it refuses with one clear line, and it would run what issue 20 asks.
package io.diffusers4j.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What can be checked without a GPU: the refusals and the commands (the GPU figures need a GPU machine). */
class GpuCheckScriptTest {
    private static final Path SCRIPT = SupportedTableTest.ROOT.resolve("scripts/gpu-check.sh");

    record Result(int code, String stdout, String stderr) {
    }

    static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out, err);
    }

    @Test
    void withoutAGpuItRefusesWithOneLine(@TempDir Path dir) throws Exception {
        // a PATH with bash's tools but no nvidia-smi
        Result r = run(Map.of("PATH", "/usr/bin:/bin"));
        if (Files.exists(Path.of("/usr/bin/nvidia-smi")) || Files.exists(Path.of("/bin/nvidia-smi"))) {
            return; // a GPU machine: nothing to refuse here
        }
        assertEquals(2, r.code(), r.stderr());
        assertEquals("", r.stdout());
        assertTrue(r.stderr().startsWith("gpu-check: no NVIDIA GPU: nvidia-smi is not on PATH"), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
    }

    @Test
    void withAGpuButNoCudaLibtorchItSaysWhatToInstall(@TempDir Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\necho 'NVIDIA H100 80GB HBM3, 81559 MiB, 550.54.15'\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cpuTorch = Files.createDirectories(dir.resolve("torch-lib"));
        Result r = run(Map.of("PATH", bin + ":/usr/bin:/bin", "PYTORCH_LIBRARY_PATH", cpuTorch.toString()));
        assertEquals(2, r.code(), r.stderr());
        assertTrue(r.stderr().startsWith("gpu-check: no CUDA libtorch: set PYTORCH_LIBRARY_PATH")
                && r.stderr().contains("torch==2.7.1") && r.stderr().contains("cu128"), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
    }

    @Test
    void itRunsTheBenchAndTheJobTheIssueAsksFor() throws Exception {
        Result r = run(Map.of(), "--dry-run");
        assertEquals(0, r.code(), r.stderr());
        List<String> commands = r.stdout().lines().toList();
        assertEquals(2, commands.size(), r.stdout());
        for (String c : commands) {
            for (String part : List.of("bench --preset sd15", "--device gpu", "--dtype float16", "--height 512",
                    "--width 512", "--steps 50", "--json")) {
                assertTrue(c.contains(part), c);
            }
        }
        assertTrue(commands.get(0).contains("--batch 1"), commands.get(0));
        assertTrue(commands.get(1).contains("--batch 8") && commands.get(1).contains("--job 64"), commands.get(1));
        assertEquals(2, run(Map.of(), "--bogus").code());
    }
}

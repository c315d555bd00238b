// Runs scripts/diffusers4j as a user would, for the command-line tests.
package io.diffusers4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code scripts/diffusers4j args...} in a child process; exit code, stdout and stderr. */
final class Launcher {
    record Result(int exitCode, String stdout, String stderr) {
        /** stderr without the launcher's log lines (timestamps from log4j) and progress bars. */
        List<String> errorLines() {
            return stderr.lines().filter(l -> !l.isBlank() && !l.matches("^\\d\\d:\\d\\d:\\d\\d .*")
                    && !l.contains("it/s]")).toList();
        }
    }

    private Launcher() {
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("scripts/diffusers4j"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("scripts/diffusers4j not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(repoRoot().resolve("scripts/diffusers4j").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repoRoot().toFile());
        Map<String, String> env = pb.environment();
        env.put("OPT_OUT_TRACKING", "true");
        env.put("DJL_OFFLINE", "true");
        env.put("DIFFUSERS4J_CACHE", Path.of("target", "diffusers4j-cache").toAbsolutePath().toString());
        Path out = Files.createTempFile("launcher", ".out");
        Path err = Files.createTempFile("launcher", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("launcher timed out: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}

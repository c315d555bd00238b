// The child JVM of HostileConfigFuzzTest: `diffusers4j generate` on every case folder, in-process, one result each.
package io.diffusers4j.cli;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code HostileConfigFuzzChild <cases.tsv> <results.tsv>}: each case line is {@code id TAB model-folder}; each
 * result line is {@code id TAB exit-code TAB milliseconds TAB stderr} (the command's stderr without log lines, its
 * line breaks written as {@code \n}), flushed at once so that a parent that finds the child killed knows the case
 * that did it. Ends with {@code VmHWM <kB>}, the peak resident memory of this JVM (heap and libtorch), on stdout.
 * Each case is one step at 16x16 pixels: an accepted config costs a whole generation (the size keys that could make
 * it larger are refused before that).
 */
final class HostileConfigFuzzChild {
    private HostileConfigFuzzChild() {
    }

    public static void main(String[] args) throws IOException {
        List<String> cases = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        PrintStream err = System.err;
        try (BufferedWriter out = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            for (String line : cases) {
                String[] f = line.split("\t", 2);
                Path model = Path.of(f[1]);
                ByteArrayOutputStream captured = new ByteArrayOutputStream();
                System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
                long t0 = System.nanoTime();
                int code;
                try {
                    code = Main.run(new String[] {"generate", "--model", model.toString(), "--prompt", "a cat",
                        "--steps", "1", "--seed", "1", "--height", "16", "--width", "16", "--no-progress", "--output",
                        model.resolve("out.png").toString()});
                } finally {
                    System.setErr(err);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                String stderr = String.join("\\n", captured.toString(StandardCharsets.UTF_8).lines()
                        .filter(l -> !l.isBlank() && !l.matches("^\\d\\d:\\d\\d:\\d\\d.*")).toList());
                out.write(f[0] + "\t" + code + "\t" + ms + "\t" + stderr.replace("\t", " "));
                out.newLine();
                out.flush();
            }
        }
        System.out.println("VmHWM " + peakResidentKb());
    }

    /** {@code VmHWM} of /proc/self/status in kB, or -1 where there is no /proc. */
    private static long peakResidentKb() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String l : Files.readAllLines(status)) {
            if (l.startsWith("VmHWM:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}

// Fuzz of every config file of a pipeline folder through `diffusers4j generate` in a small child JVM: exit 2, one line.
package io.diffusers4j.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.job.cluster.LocalStandaloneCluster;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 19's fuzz test. Every key of every config file of the tiny-sd pipeline (UNet, VAE, text encoder, scheduler,
 * tokenizer config, model_index.json) gets hostile values, seeded: integer keys sizes and signs (-1, 0, 2^31 - 1,
 * 10^9, 10^18, ...), every key wrong types (null, a string for a number, lists, objects). Each edited folder goes
 * through {@code diffusers4j generate} in one child JVM with a 256 MB heap ({@link HostileConfigFuzzChild}). Every
 * case must either be accepted (exit 0: the value is valid, or a key the port does not use) or refused with exit 2
 * and exactly one line naming the edited file and the key (as {@code key '<key>'} or by its name); never exit 1
 * (an OutOfMemoryError, a native allocation failure, an engine error). The child must finish, not be killed, with
 * its peak resident memory (heap and libtorch) under 2 GB. Before issue 19's fixes 28 of the 157 cases failed:
 * heap and native out-of-memory errors, engine errors, messages without the file, 10^18 silently wrapped.
 */
class HostileConfigFuzzTest {
    private static final List<String> FILES = List.of("unet/config.json", "vae/config.json",
            "text_encoder/config.json", "scheduler/scheduler_config.json", "tokenizer/tokenizer_config.json",
            "model_index.json");
    private static final String[] SIZES = {"-1", "0", "-64", "2147483647", "1000000000", "1000000000000000000",
        "-2147483648", "[32, 2000000]", "[-1, 64]"};
    private static final String[] TYPES = {"null", "true", "2.5", "\"4\"", "[]", "{}", "[1, -1]", "\"x\"", "1e300"};
    private static final long MAX_PEAK_RESIDENT_KB = 2L << 20;

    @TempDir
    Path tmp;

    private record Case(String id, String file, String key, String value, Path model) {
    }

    @Test
    void hostileValuesInEveryConfigFileAreAcceptedOrRefusedInOneLineNamingTheFileAndTheKey() throws Exception {
        List<Case> cases = cases(new Random(19));
        Path list = tmp.resolve("cases.tsv");
        Files.write(list, cases.stream().map(c -> c.id() + "\t" + c.model()).toList(), StandardCharsets.UTF_8);
        Path results = tmp.resolve("results.tsv");
        Path log = tmp.resolve("child.log");
        Process child = child(list, results, log);
        boolean ended = child.waitFor(8, TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly();
        }
        List<String> done = Files.exists(results) ? Files.readAllLines(results, StandardCharsets.UTF_8) : List.of();
        report(cases, done);
        String next = done.size() < cases.size() ? cases.get(done.size()).toString() : "none";
        assertTrue(ended, "the child hung; the case after the last result: " + next);
        String childLog = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), "the child JVM was killed or failed at case " + next + "\n"
                + tail(childLog));
        assertEquals(cases.size(), done.size(), "every case ran");

        Map<String, Case> byId = new LinkedHashMap<>();
        cases.forEach(c -> byId.put(c.id(), c));
        Map<String, String> problems = new TreeMap<>();
        int accepted = 0;
        int refused = 0;
        for (String r : done) {
            String[] f = r.split("\t", 4);
            Case c = byId.get(f[0]);
            int code = Integer.parseInt(f[1]);
            String[] lines = f.length < 4 || f[3].isEmpty() ? new String[0] : f[3].split("\\\\n");
            String what = c.file() + " " + c.key() + "=" + c.value();
            if (code == 0) {
                accepted++;
            } else if (code != 2) {
                problems.put(what, "exit " + code + ": " + String.join(" | ", lines));
            } else if (lines.length != 1) {
                problems.put(what, lines.length + " lines: " + String.join(" | ", lines));
            } else if (!lines[0].startsWith("diffusers4j generate: error: ")
                    || !lines[0].contains(c.model().resolve(c.file()).toString())
                    || !Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(c.key()) + "(?![A-Za-z0-9_])")
                    .matcher(lines[0]).find()) {
                problems.put(what, "does not name the file and the key: " + lines[0]);
            } else {
                refused++;
            }
        }
        long peak = Long.parseLong(childLog.lines().filter(l -> l.startsWith("VmHWM ")).findFirst()
                .orElse("VmHWM 0").substring(6));
        Files.writeString(Path.of("target", "hostile-config-fuzz.tsv"), "# child VmHWM " + peak + " kB, " + accepted
                + " accepted\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        if (!problems.isEmpty()) {
            StringBuilder b = new StringBuilder(problems.size() + " of " + cases.size() + " cases failed:\n");
            problems.forEach((k, v) -> b.append("  ").append(k).append(" -> ").append(v).append('\n'));
            fail(b.toString());
        }
        assertTrue(peak != 0, "the child reported no peak resident memory:\n" + tail(childLog));
        assertTrue(peak < MAX_PEAK_RESIDENT_KB, "peak resident memory " + peak + " kB");
        assertTrue(refused > cases.size() / 2, refused + " refused, " + accepted + " accepted of " + cases.size());
    }

    /** Per file, per key: one size or sign (integer keys) and one wrong type; files interleaved. */
    private List<Case> cases(Random r) throws IOException {
        List<List<Case>> perFile = new ArrayList<>();
        for (String file : FILES) {
            List<Case> own = new ArrayList<>();
            JsonObject json = JsonParser.parseString(Files.readString(Fixtures.tinySd().resolve(file),
                    StandardCharsets.UTF_8)).getAsJsonObject();
            for (Map.Entry<String, JsonElement> e : json.entrySet()) {
                String key = e.getKey();
                if (key.startsWith("_") && !key.equals("_class_name")) {
                    continue;
                }
                List<String> values = new ArrayList<>();
                if (isIntegral(e.getValue())) {
                    values.add(SIZES[r.nextInt(SIZES.length)]);
                }
                values.add(TYPES[r.nextInt(TYPES.length)]);
                for (String v : values) {
                    String id = "c" + perFile.stream().mapToInt(List::size).sum() + "-" + own.size();
                    JsonObject edited = json.deepCopy();
                    edited.add(key, JsonParser.parseString(v));
                    own.add(new Case(id, file, key, v, folder(tmp.resolve(id), file, edited.toString())));
                }
            }
            perFile.add(own);
        }
        List<Case> out = new ArrayList<>();
        for (int i = 0; out.size() < perFile.stream().mapToInt(List::size).sum(); i++) {
            for (List<Case> own : perFile) {
                if (i < own.size()) {
                    out.add(own.get(i));
                }
            }
        }
        return out;
    }

    /** Every case with its outcome, in target/ (what was accepted, how long each took). */
    private static void report(List<Case> cases, List<String> done) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < done.size(); i++) {
            Case c = cases.get(i);
            out.add(c.file() + "\t" + c.key() + "\t" + c.value() + "\t" + done.get(i));
        }
        Files.write(Path.of("target", "hostile-config-fuzz.tsv"), out, StandardCharsets.UTF_8);
    }

    private static boolean isIntegral(JsonElement v) {
        if (v.isJsonArray()) {
            return !v.getAsJsonArray().isEmpty() && isIntegral(v.getAsJsonArray().get(0));
        }
        return v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                && v.getAsDouble() == Math.rint(v.getAsDouble());
    }

    /**
     * A tiny-sd folder whose {@code file} holds {@code text}: weights are links to the fixture's, every other file a
     * copy (files must not link out of their folder).
     */
    private static Path folder(Path dir, String file, String text) throws IOException {
        Path src = Fixtures.tinySd();
        for (String component : List.of("unet", "vae", "text_encoder", "scheduler", "tokenizer")) {
            Files.createDirectories(dir.resolve(component));
            try (Stream<Path> files = Files.list(src.resolve(component))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path to = dir.resolve(component).resolve(f.getFileName());
                    if (f.getFileName().toString().endsWith(".safetensors")) {
                        Files.createSymbolicLink(to, f.toAbsolutePath());
                    } else {
                        Files.copy(f, to);
                    }
                }
            }
        }
        Files.copy(src.resolve("model_index.json"), dir.resolve("model_index.json"));
        Files.writeString(dir.resolve(file), text, StandardCharsets.UTF_8);
        return dir;
    }

    private static Process child(Path cases, Path results, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-Xss4m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Djava.awt.headless=true");
        cmd.add("-Dlog4j2.configurationFile=" + Path.of("src", "test", "resources", "log4j2-test.properties")
                .toAbsolutePath());
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, LocalStandaloneCluster.testClasspath()));
        cmd.add(HostileConfigFuzzChild.class.getName());
        cmd.add(cases.toString());
        cmd.add(results.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OMP_NUM_THREADS", "1"); // tiny tensors: one thread is 10x faster on a busy machine
        return pb.start();
    }

    private static String tail(String log) {
        return log.length() > 3000 ? log.substring(log.length() - 3000) : log;
    }
}

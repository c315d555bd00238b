// Test helper: the job's main class run as its own driver JVM (local mode), as the launcher starts it.
package io.diffusers4j.job;

import io.diffusers4j.job.cluster.LocalStandaloneCluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts {@code io.diffusers4j.job.JobMain} in a child JVM with this JVM's test classpath (so the fake renderer
 * is there), Spark's module opens, DJL offline and the tests' quiet log4j2 config; stdout and stderr go to one
 * log file. The caller owns the process (kill it, wait for it).
 */
final class DriverProcess {
    private DriverProcess() {
    }

    static Process start(List<String> jobArgs, List<String> systemProperties, Map<String, String> env, Path log) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx768m");
        cmd.addAll(LocalStandaloneCluster.javaOptions());
        cmd.add("-Dlog4j2.configurationFile="
                + Path.of("src", "test", "resources", "log4j2-test.properties").toAbsolutePath());
        cmd.addAll(systemProperties);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, LocalStandaloneCluster.testClasspath()));
        cmd.add("io.diffusers4j.job.JobMain");
        cmd.addAll(jobArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().putAll(env);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String log(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }
}

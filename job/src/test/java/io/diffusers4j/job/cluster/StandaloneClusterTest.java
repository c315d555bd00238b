// The job submitted to a real standalone cluster: two executor JVMs do the work, each builds the pipeline once.
package io.diffusers4j.job.cluster;

import io.diffusers4j.job.FakeRenderer;
import io.diffusers4j.job.SharedSpark;
import io.diffusers4j.job.output.OutputFolder;
import io.diffusers4j.testing.Fixtures;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Master + two one-core Workers (separate JVMs on 127.0.0.1, from the test classpath), the job submitted with
 * {@code SparkSubmit} from a third JVM, as {@code spark-submit} would. Checks from the written Parquet: both
 * executors rendered images, and each executor JVM (pid in its pipeline_instance_id) built exactly one pipeline.
 * One run with the fake renderer (the cluster plumbing) and one with the real pipeline on the tiny-sd fixture.
 */
@Tag("cluster")
class StandaloneClusterTest {
    @TempDir
    static Path dir;
    static LocalStandaloneCluster cluster;
    static Path appJar;
    static String lastDriverLog = "";

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalStandaloneCluster.start(dir.resolve("cluster"), 2, "1g");
        appJar = LocalStandaloneCluster.jarOf(Path.of("target", "classes"), dir.resolve("diffusers4j-job.jar"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void fakeRendererOnTwoExecutors() throws Exception {
        // a Hub token in the driver's and the executors' environment must not leak into logs or output
        String token = "hf_TestOnly" + Long.toHexString(System.nanoTime()) + "x";
        List<Row> rows = submit("fake", 24, List.of("--set", "diffusers4j.job.renderer=" + FakeRenderer.FACTORY),
                "-Dd4j.fake.sleepMs=150", Map.of("HF_TOKEN", token),
                List.of("--conf", "spark.executorEnv.HF_TOKEN=" + token));
        assertTwoExecutorsBuiltOnce(rows, 24);
        List<Path> leaks;
        try (var files = Files.walk(dir)) {
            leaks = files.filter(Files::isRegularFile).filter(f -> contains(f, token)).toList();
        }
        assertEquals(List.of(), leaks, "files containing HF_TOKEN");
    }

    private static boolean contains(Path file, String text) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void embeddedPipelineOnTwoExecutors() throws Exception {
        List<Row> rows = submit("real", 8, List.of("--model", Fixtures.tinySd().toString(), "--steps", "2"), "",
                Map.of(), List.of());
        assertTwoExecutorsBuiltOnce(rows, 8);
    }

    @Test
    void executorKilledMidPartitionLeavesNoDuplicateOrPartialRows() throws Exception {
        // 20 images of 0.4 s each over 4 partitions: an executor is SIGKILLed (no shutdown hooks, like a crash)
        // while it renders; its tasks are rerun elsewhere and only committed task output appears
        AtomicReference<String> killed = new AtomicReference<>();
        Thread killer = new Thread(() -> {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && killed.get() == null) {
                    List<ProcessHandle> executors = cluster.executors();
                    if (executors.size() >= 2 && Files.exists(dir.resolve("kill-out").resolve("_temporary"))) {
                        Thread.sleep(1500);
                        List<ProcessHandle> now = cluster.executors();
                        if (!now.isEmpty()) {
                            ProcessHandle victim = now.get(0);
                            victim.destroyForcibly();
                            killed.set(Long.toString(victim.pid()));
                        }
                    }
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        killer.start();
        List<Row> rows;
        try {
            rows = submit("kill", 20, List.of("--set", "diffusers4j.job.renderer=" + FakeRenderer.FACTORY,
                    "--batch-size", "1"), "-Dd4j.fake.sleepMs=400", Map.of(), List.of());
        } finally {
            killer.join(TimeUnit.SECONDS.toMillis(5));
        }
        assertTrue(killed.get() != null, "an executor was killed during the run");
        assertTrue(lastDriverLog.contains("Lost executor"), "the driver saw an executor die mid-job:\n"
                + lastDriverLog);
        assertEquals(20, rows.size());
        assertEquals(20, rows.stream().map(r -> (String) r.getAs("id")).distinct().count(), "no duplicates");
        assertTrue(rows.stream().allMatch(r -> "ok".equals(r.getAs("status")) && r.getAs("image") != null));
        // what a reader lists: only complete Parquet files (footers readable, row counts adding up), nothing staged
        Path out = dir.resolve("kill-out");
        long footerRows = 0;
        try (var files = Files.list(out)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                try (var r = ParquetFileReader.open(
                        HadoopInputFile.fromPath(
                                new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
                    footerRows += r.getRecordCount();
                }
            }
        }
        assertEquals(20, footerRows, "the visible files hold exactly the 20 rows");
        assertFalse(Files.exists(out.resolve("_temporary")), "no staged files left");
    }

    private static void assertTwoExecutorsBuiltOnce(List<Row> rows, int images) {
        assertEquals(images, rows.size());
        assertTrue(rows.stream().allMatch(r -> "ok".equals(r.getAs("status"))),
                () -> rows.stream().map(r -> (String) r.getAs("error")).distinct().toList().toString());
        Map<String, Set<String>> builds = new HashMap<>();
        for (Row r : rows) {
            builds.computeIfAbsent(r.getAs("executor_id"), k -> new HashSet<>())
                    .add(r.getAs("pipeline_instance_id"));
        }
        assertEquals(2, builds.size(), "both executors rendered: " + builds);
        assertFalse(builds.containsKey("driver"), "nothing ran in the driver");
        Set<String> pids = new HashSet<>();
        for (Map.Entry<String, Set<String>> e : builds.entrySet()) {
            assertEquals(1, e.getValue().size(), "executor " + e.getKey() + " built once: " + e.getValue());
            String id = e.getValue().iterator().next();
            assertTrue(id.startsWith(e.getKey() + "-"), id);
            pids.add(id.split("-")[1]);
        }
        assertEquals(2, pids.size(), "two executor JVMs: " + builds);
        assertFalse(pids.contains(Long.toString(ProcessHandle.current().pid())));
    }

    private static List<Row> submit(String name, int images, List<String> jobArgs, String executorOpts,
                                    Map<String, String> env, List<String> submitArgs) throws Exception {
        Path prompts = dir.resolve(name + ".jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            lines.add("{\"id\": \"" + name + i + "\", \"prompt\": \"prompt number " + i + "\", \"seed\": " + i + "}");
        }
        Files.write(prompts, lines, StandardCharsets.UTF_8);
        Path out = dir.resolve(name.equals("kill") ? "kill-out" : name + "-out");
        Path log4j = Path.of("src", "test", "resources", "log4j2-test.properties").toAbsolutePath();

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(LocalStandaloneCluster.javaOptions());
        cmd.add("-Dlog4j2.configurationFile=" + log4j);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, LocalStandaloneCluster.testClasspath()));
        cmd.addAll(List.of("org.apache.spark.deploy.SparkSubmit",
                "--master", cluster.masterUrl(),
                "--deploy-mode", "client",
                "--class", "io.diffusers4j.job.JobMain",
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.executor.cores=1",
                "--conf", "spark.cores.max=2",
                "--conf", "spark.executor.memory=768m",
                // wait for both executors before scheduling, so the work is shared
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=60s",
                "--conf", "spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="
                        + log4j + " " + executorOpts));
        cmd.addAll(submitArgs);
        cmd.addAll(List.of(appJar.toString(),
                "--prompts", prompts.toString(), "--output", out.toString(), "--partitions", "4",
                "--batch-size", "2"));
        cmd.addAll(jobArgs);
        Path log = cluster.logs().resolve(name + "-driver.log");
        Map<String, String> driverEnv = new HashMap<>(cluster.environment());
        driverEnv.putAll(env);
        Process driver = cluster.run(cmd, driverEnv, log);
        boolean done = driver.waitFor(150, TimeUnit.SECONDS);
        String driverLog = Files.readString(log);
        lastDriverLog = driverLog;
        if (!done) {
            driver.destroyForcibly();
        }
        assertTrue(done && driver.exitValue() == 0, "driver " + (done ? "exit " + driver.exitValue() : "timed out")
                + "\n" + driverLog + "\n" + cluster.logTails(40));
        if (!name.equals("kill")) {
            assertTrue(driverLog.contains("pipeline builds per executor: 0=1 1=1"), driverLog);
        }
        return OutputFolder.reader(SharedSpark.get()).parquet(out.toString()).collectAsList().stream()
                .collect(Collectors.toList());
    }
}

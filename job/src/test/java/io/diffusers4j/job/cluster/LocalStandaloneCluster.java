// A real Spark standalone cluster on 127.0.0.1 for tests: Master + N Workers as separate JVMs, from the test classpath.
package io.diffusers4j.job.cluster;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Spark's own {@code Master} and {@code Worker} classes started as child JVMs on 127.0.0.1, with a folder used
 * as {@code SPARK_HOME} whose {@code jars/} holds this JVM's classpath (jars linked, class folders packed into
 * jars). No Spark download: the Maven jars are the distribution. Workers launch executors as further JVMs from
 * the same {@code jars/}. {@link #close()} stops every process this object started, executors included, even
 * when a test failed.
 */
public final class LocalStandaloneCluster implements AutoCloseable {
    private static final Pattern ALIVE = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");

    private final Path home;
    private final Path logs;
    private final int masterPort;
    private final int masterUiPort;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final List<String> classpath;

    private LocalStandaloneCluster(Path home, List<String> classpath) {
        this.home = home;
        this.logs = home.resolve("logs");
        this.classpath = classpath;
        this.masterPort = freePort();
        this.masterUiPort = freePort();
    }

    /** Starts a master and {@code workers} one-core workers under {@code dir}; waits until all registered. */
    public static LocalStandaloneCluster start(Path dir, int workers, String workerMemory) throws IOException,
            InterruptedException {
        List<String> cp = testClasspath();
        LocalStandaloneCluster c = new LocalStandaloneCluster(dir, cp);
        try {
            c.layOutSparkHome();
            c.launch("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                    Integer.toString(c.masterPort), "--webui-port", Integer.toString(c.masterUiPort)));
            c.waitForPort(c.masterPort, 60);
            for (int i = 0; i < workers; i++) {
                Path work = dir.resolve("work-" + i);
                Files.createDirectories(work);
                c.launch("worker-" + i, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                        "--cores", "1", "--memory", workerMemory, "--webui-port", Integer.toString(freePort()),
                        "--work-dir", work.toString(), c.masterUrl()));
            }
            c.waitForWorkers(workers, 90);
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    public Path sparkHome() {
        return home;
    }

    /** The classpath of this JVM (Surefire's real one, not its booter jar). */
    public static List<String> testClasspath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            if (!e.isBlank() && new File(e).exists()) {
                out.add(e);
            }
        }
        return out;
    }

    /** A jar of a class folder (stored, not compressed: it is only copied around locally). */
    public static Path jarOf(Path folder, Path jar) throws IOException {
        try (OutputStream fo = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(fo);
             Stream<Path> walk = Files.walk(folder)) {
            out.setLevel(0);
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    out.putNextEntry(new JarEntry(folder.relativize(p).toString().replace(File.separatorChar, '/')));
                    Files.copy(p, out);
                    out.closeEntry();
                }
            }
        }
        return jar;
    }

    private void layOutSparkHome() throws IOException {
        Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        Files.createDirectories(logs);
        int i = 0;
        for (String entry : classpath) {
            Path p = Path.of(entry);
            String name = String.format("%03d-", i++);
            if (Files.isDirectory(p)) {
                String label = p.getParent().getParent().getFileName() + "-" + p.getFileName();
                jarOf(p, jars.resolve(name + label + ".jar"));
            } else if (entry.endsWith(".jar") && !p.getFileName().toString().startsWith("surefire")) {
                Files.createSymbolicLink(jars.resolve(name + p.getFileName()), p.toAbsolutePath());
            }
        }
    }

    /** Environment every JVM of the cluster gets. */
    public Map<String, String> environment() {
        return Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.12", "SPARK_LOCAL_IP", "127.0.0.1",
                "OPT_OUT_TRACKING", "true", "DJL_OFFLINE", "true", "SPARK_NO_DAEMONIZE", "1");
    }

    /** Java options for JVMs running Spark on Java 17: this JVM's own module opens (Surefire's argLine). */
    public static List<String> javaOptions() {
        List<String> out = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.equals("-XX:+IgnoreUnrecognizedVMOptions")
                    || a.startsWith("-Djdk.reflect.useDirectMethodHandle")) {
                out.add(a);
            }
        }
        out.add("-XX:TieredStopAtLevel=1");
        out.add("-Dai.djl.offline=true");
        return out;
    }

    private void launch(String name, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.addAll(javaOptions());
        cmd.add("-cp");
        cmd.add(home.resolve("jars") + File.separator + "*");
        cmd.addAll(mainAndArgs);
        run(cmd, environment(), logs.resolve(name + ".log"));
    }

    /** Starts a process with this cluster's environment, output to a log file; it is stopped by close(). */
    public Process run(List<String> cmd, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** Executor JVMs running now: the only child processes of the cluster's JVMs are the workers' executors. */
    public List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process p : processes) {
            p.descendants().filter(ProcessHandle::isAlive).forEach(out::add);
        }
        return out;
    }

    public Path logs() {
        return logs;
    }

    /** The last lines of every log (for failure messages). */
    public String logTails(int lines) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(home)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (Files.isRegularFile(f) && (n.endsWith(".log") || n.equals("stderr"))) {
                    List<String> all = Files.readAllLines(f, StandardCharsets.UTF_8);
                    sb.append("==> ").append(home.relativize(f)).append('\n');
                    for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) {
                        sb.append(l).append('\n');
                    }
                }
            }
        } catch (IOException e) {
            sb.append("(logs unreadable: ").append(e).append(")\n");
        }
        return sb.toString();
    }

    private void waitForPort(int port, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
            checkAlive();
        }
        throw new IllegalStateException("master did not open port " + port + " in " + seconds + " s\n"
                + logTails(30));
    }

    private void waitForWorkers(int n, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int alive = 0;
        while (System.nanoTime() < deadline) {
            alive = aliveWorkers();
            if (alive >= n) {
                return;
            }
            checkAlive();
            Thread.sleep(300);
        }
        throw new IllegalStateException(alive + " of " + n + " workers registered in " + seconds + " s\n"
                + logTails(30));
    }

    private void checkAlive() {
        for (Process p : processes) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a cluster process exited with " + p.exitValue() + "\n"
                        + logTails(40));
            }
        }
    }

    private int aliveWorkers() {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + masterUiPort + "/json/")
                    .openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try (InputStream in = c.getInputStream()) {
                Matcher m = ALIVE.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                return m.find() ? Integer.parseInt(m.group(1)) : 0;
            }
        } catch (IOException e) {
            return 0;
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops every process started here and their descendants (executors), politely then forcibly. */
    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : processes) {
            p.descendants().forEach(all::add);
            all.add(p.toHandle());
        }
        for (ProcessHandle h : all) {
            h.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }
}

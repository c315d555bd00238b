// Config layering (defaults < files < command line), validation, and the command-line parser.
package io.diffusers4j.job;

import io.diffusers4j.job.render.JvmSettings;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobConfigTest {
    @TempDir
    Path dir;

    private static JobConfig parse(String... args) {
        return JobCommand.parse(args).toConfig();
    }

    @Test
    void defaultsAreDiffusersDefaults() {
        JobConfig c = parse("--prompts", "p.jsonl", "--output", "out");
        assertEquals(8, c.batchSize());
        assertEquals("overwrite", c.mode());
        assertNull(c.format());
        assertNull(c.defaults().numInferenceSteps(), "the pipeline's own");
        assertNull(c.defaults().guidanceScale(), "the pipeline's own");
        assertNull(c.pipelineSpec(0).model());
        assertEquals("local[*]", c.master());
        assertFalse(c.masterExplicit());
        assertEquals(-1, c.torchThreads());
    }

    @Test
    void vaeFlagBecomesAnAbsoluteFolderOrAHubIdInTheSpec() throws Exception {
        Path vae = Files.createDirectories(dir.resolve("taesd"));
        assertEquals(vae.toAbsolutePath().normalize().toString(), parse("--prompts", "p", "--output", "o", "--vae",
                vae.toString()).pipelineSpec(0).options().get("vae"));
        assertEquals("madebyollin/taesd", parse("--prompts", "p", "--output", "o", "--vae", "madebyollin/taesd")
                .pipelineSpec(0).options().get("vae"));
        assertNull(parse("--prompts", "p", "--output", "o").pipelineSpec(0).options().get("vae"));
        assertEquals("64", parse("--prompts", "p", "--output", "o").pipelineSpec(0).options()
                .get("text-embedding-cache"));
        assertEquals("0", parse("--prompts", "p", "--output", "o", "--text-embedding-cache", "0").pipelineSpec(0)
                .options().get("text-embedding-cache"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("--prompts", "p", "--output", "o", "--text-embedding-cache", "-3"));
        assertTrue(e.getMessage().contains("text embedding cache"), e.getMessage());
    }

    @Test
    void filesThenCommandLineOverride() throws Exception {
        Path f1 = dir.resolve("a.conf");
        Files.writeString(f1, "diffusers4j.job { batch-size = 2, defaults.num-inference-steps = 20 }\n"
                + "diffusers4j.pipeline.model = \"org/model\"\n"
                + "spark.conf { \"spark.executor.memory\" = 3g }\n");
        Path f2 = dir.resolve("b.conf");
        Files.writeString(f2, "diffusers4j.job.batch-size = 3\n");
        JobConfig c = parse("--prompts", "p", "--output", "o", "--config", f1.toString(), "--config=" + f2,
                "--steps", "7", "--master", "spark://h:7077", "--spark-conf", "spark.executor.cores=2", "--resume",
                "--set", "diffusers4j.pipeline.dtype=float16");
        assertEquals(3, c.batchSize(), "later file wins");
        assertEquals(7, c.defaults().numInferenceSteps(), "command line wins");
        assertEquals(2.5, parse("--prompts", "p", "--output", "o", "--guidance-scale", "2.5").defaults()
                .guidanceScale());
        assertEquals("org/model", c.pipelineSpec(0).model());
        assertEquals("float16", c.pipelineSpec(0).dtype());
        assertEquals("append", c.mode(), "resume appends");
        assertTrue(c.masterExplicit());
        assertEquals(Map.of("spark.executor.memory", "3g", "spark.executor.cores", "2"), c.sparkConf());
    }

    @Test
    void describeNeverShowsSecrets() {
        String token = "hf_DescribeSecret12345";
        JobConfig c = parse("--prompts", "p", "--output", "o", "--spark-conf",
                "spark.executorEnv.HF_TOKEN=" + token, "--spark-conf", "spark.hadoop.fs.s3a.secret.key=s3cr3tValue",
                "--spark-conf", "spark.executor.memory=2g");
        String d = c.describe();
        assertFalse(d.contains(token) || d.contains("s3cr3tValue"), d);
        assertTrue(d.contains("HF_TOKEN") && d.contains("redacted") && d.contains("2g"), d);
        assertEquals(token, c.sparkConf().get("spark.executorEnv.HF_TOKEN"), "still passed on to Spark");
    }

    @Test
    void localModelFoldersBecomeAbsoluteHubIdsStay() throws Exception {
        Path model = Files.createDirectories(dir.resolve("sd"));
        Path relative = Path.of("").toAbsolutePath().relativize(model);
        assertEquals(model.toString(), parse("--prompts", "p", "--output", "o", "--model", relative.toString())
                .pipelineSpec(0).model());
        assertEquals("org/name", parse("--prompts", "p", "--output", "o", "--model", "org/name")
                .pipelineSpec(0).model());
    }

    @Test
    void mistakesAreRefusedWithTheOffendingValue() throws Exception {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--output", "o")).getMessage()
                .contains("--prompts is required"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--batch-size", "0")).getMessage().contains("batch-size must be >= 1, got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--batch-size", "many")).getMessage().contains("must be an integer"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--partition-by", "image")).getMessage().contains("partition-by 'image'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--format", "xml")).getMessage().contains("xml"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--bogus", "1")).getMessage().contains("'--bogus'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--set", "diffusers4j.job.batchsize=3")).getMessage().contains("unknown config key"));
        Path typo = dir.resolve("typo.conf");
        Files.writeString(typo, "diffusers4j.job.batchsize = 3\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--config", typo.toString())).getMessage().contains("diffusers4j.job.batchsize"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--dtype", "bfloat16", "--set", "diffusers4j.pipeline.device=auto")).getMessage()
                .contains("dtype bfloat16 needs device cpu"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o",
                "--steps", "0")).getMessage().contains("num-inference-steps"));
    }

    @Test
    void maxSequenceLengthFlagIsAJobDefaultCheckedOnTheDriver() throws Exception {
        assertNull(parse("--prompts", "p", "--output", "o").defaults().maxSequenceLength(), "the pipeline's own");
        assertEquals(256, parse("--prompts", "p", "--output", "o", "--max-sequence-length", "256").defaults()
                .maxSequenceLength());
        Path conf = dir.resolve("t5.conf");
        Files.writeString(conf, "diffusers4j.job.defaults.max-sequence-length = 128\n");
        assertEquals(128, parse("--prompts", "p", "--output", "o", "--config", conf.toString()).defaults()
                .maxSequenceLength());
        for (String bad : new String[] {"0", "513", "many"}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(2, JobMain.run(new String[] {"--prompts", "p", "--output", "o", "--max-sequence-length",
                bad}, new PrintStream(out), new PrintStream(err)), bad);
            List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("diffusers4j job: error: ") && lines.get(0).contains(bad)
                    && lines.get(0).contains("max-sequence-length"), lines.get(0));
        }
    }

    @Test
    void progressConsoleIsAutoOrABoolean() {
        assertEquals(Optional.empty(), parse("--prompts", "p", "--output", "o").progressConsole(), "auto");
        assertEquals(Optional.of(true), parse("--prompts", "p", "--output", "o", "--set",
                "diffusers4j.job.progress-console=true").progressConsole());
        assertEquals(Optional.of(false), parse("--prompts", "p", "--output", "o", "--set",
                "diffusers4j.job.progress-console=false").progressConsole());
        assertEquals("progress-console must be auto, true or false, got \"sometimes\"",
                assertThrows(IllegalArgumentException.class, () -> parse("--prompts", "p", "--output", "o", "--set",
                        "diffusers4j.job.progress-console=sometimes")).getMessage());
    }

    @Test
    void shippedConfigsParse() {
        Path conf = Path.of("..", "conf");
        JobConfig local = parse("--prompts", "p", "--output", "o", "--config", conf.resolve("job.conf").toString());
        assertEquals("local[*]", local.master());
        JobConfig gpu = parse("--prompts", "p", "--output", "o", "--config",
                conf.resolve("gpu-cluster.conf").toString());
        assertEquals("1", gpu.sparkConf().get("spark.executor.resource.gpu.amount"));
        assertEquals("1", gpu.sparkConf().get("spark.task.resource.gpu.amount"));
        assertEquals("float16", gpu.pipelineSpec(0).dtype());
    }

    @Test
    void helpAndUsageErrorsFromMain() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, JobMain.run(new String[] {"--help"}, new PrintStream(out), new PrintStream(err)));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String flag : new String[] {"--prompts", "--output", "--model", "--master", "--config", "--batch-size",
            "--format", "--resume", "--partitions", "--partition-by", "--revision", "--variant",
            "--local-files-only"}) {
            assertTrue(help.contains(flag), flag);
        }
        assertTrue(help.contains("Usage: diffusers4j job"), help);
        assertEquals(2, JobMain.run(new String[] {"--prompts"}, new PrintStream(out), new PrintStream(err)));
        String firstLine = err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
        assertTrue(firstLine.startsWith("diffusers4j job: error: Missing required parameter for option "
                + "'--prompts'"), firstLine);
        err.reset();
        assertEquals(2, JobMain.run(new String[] {"--prompts", "p", "--output", "o", "--conf", "x.conf"},
                new PrintStream(out), new PrintStream(err)));
        firstLine = err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
        assertTrue(firstLine.startsWith("diffusers4j job: error: Unknown options: '--conf'")
                && firstLine.contains("did you mean --config"), firstLine);
    }

    @Test
    void executorsAlwaysGetOfflineDjl() {
        JobConfig c = parse("--prompts", "p", "--output", "o", "--spark-conf",
                "spark.executor.extraJavaOptions=-Xss8m");
        Map<String, String> s = JobMain.sparkSettings(c, new SparkConf(false), "spark://x:7077");
        assertEquals("true", s.get("spark.executorEnv.OPT_OUT_TRACKING"));
        assertEquals("true", s.get("spark.executorEnv.DJL_OFFLINE"));
        assertEquals("-Xss8m -Dai.djl.offline=true -DOPT_OUT_TRACKING=true", s.get("spark.executor.extraJavaOptions"));
        assertFalse(s.containsKey("spark.driver.host"));
        assertEquals("127.0.0.1", JobMain.sparkSettings(c, new SparkConf(false), "local[2]").get("spark.driver.host"));
        // executors preload the allocator the driver found (or none), and never override an explicit setting
        assertEquals(JvmSettings.allocatorLibrary(),
                s.get("spark.executorEnv.LD_PRELOAD"));
        JobConfig own = parse("--prompts", "p", "--output", "o", "--spark-conf",
                "spark.executorEnv.LD_PRELOAD=/opt/mine.so");
        assertEquals("/opt/mine.so", JobMain.sparkSettings(own, new SparkConf(false), "spark://x:7077")
                .get("spark.executorEnv.LD_PRELOAD"));
        // and get huge pages under their tensors as the launcher's JVM does (1 unless its environment says 0),
        // unless the config or spark-submit sets it
        assertEquals(System.getenv("THP_MEM_ALLOC_ENABLE") == null ? "1" : System.getenv("THP_MEM_ALLOC_ENABLE").trim(),
                s.get("spark.executorEnv.THP_MEM_ALLOC_ENABLE"));
        JobConfig off = parse("--prompts", "p", "--output", "o", "--spark-conf",
                "spark.executorEnv.THP_MEM_ALLOC_ENABLE=0");
        assertEquals("0", JobMain.sparkSettings(off, new SparkConf(false), "spark://x:7077")
                .get("spark.executorEnv.THP_MEM_ALLOC_ENABLE"));
        assertFalse(JobMain.sparkSettings(c, new SparkConf(false).set("spark.executorEnv.THP_MEM_ALLOC_ENABLE",
                "0"), "spark://x:7077").containsKey("spark.executorEnv.THP_MEM_ALLOC_ENABLE"), "spark-submit's stays");
    }
}

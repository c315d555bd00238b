// The job's named Spark accumulators: images done, error rows, pipeline builds (shown in Spark's UI).
package io.diffusers4j.job.progress;

import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counters that tasks update and the driver reads. They are <em>named</em> accumulators, so Spark's own UI lists
 * them on the stage page (per task and in total) while the job runs, and the driver's {@link JobProgress} sees
 * running tasks' values through executor heartbeats:
 * <ul>
 *   <li>{@value #DONE}: output rows emitted by the render tasks (ok images and error rows);</li>
 *   <li>{@value #ERRORS}: error rows among them;</li>
 *   <li>{@value #BUILDS}: {@code executorId \t pipelineInstanceId \t buildMillis} of the pipeline build each
 *       render task used (one entry per task; the driver keeps one per build).</li>
 * </ul>
 * As for any accumulator updated in a transformation, a re-executed stage may count twice; these numbers are for
 * progress and the report, the committed Parquet rows are the truth ({@code JobSummary} reads those). The number
 * of images to write is not one of them: an accumulator in the validation stage counted the prompts again
 * whenever Spark re-read them (a lost executor's partitions, each wave of a resumed run), so the driver counts
 * the persisted work instead.
 */
public final class JobMetrics implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String DONE = "diffusers4j images done";
    public static final String ERRORS = "diffusers4j error rows";
    public static final String BUILDS = "diffusers4j pipeline builds";

    private final LongAccumulator done;
    private final LongAccumulator errors;
    private final CollectionAccumulator<String> builds;

    private JobMetrics(SparkContext sc) {
        done = sc.longAccumulator(DONE);
        errors = sc.longAccumulator(ERRORS);
        builds = sc.collectionAccumulator(BUILDS);
    }

    /** Registers a fresh set of accumulators for one run (driver). */
    public static JobMetrics register(SparkContext sc) {
        return new JobMetrics(sc);
    }

    /** Task side: one output row was emitted. */
    public void emitted(boolean error) {
        done.add(1);
        if (error) {
            errors.add(1);
        }
    }

    /** Task side: this task renders with pipeline build {@code instanceId} (built in {@code buildMillis}). */
    public void usedBuild(String executorId, String instanceId, long buildMillis) {
        builds.add(executorId + "\t" + instanceId + "\t" + buildMillis);
    }

    public long doneId() {
        return done.id();
    }

    public long errorsId() {
        return errors.id();
    }

    /** A pipeline build that rendered this run's images. */
    public record Build(String executorId, String instanceId, long buildMillis) {
    }

    /** Driver: the distinct pipeline builds reported by successful tasks, by instance id. */
    public List<Build> builds() {
        Map<String, Build> byId = new LinkedHashMap<>();
        Collection<String> entries = builds.value();
        for (String e : entries) {
            String[] f = e.split("\t", 3);
            if (f.length == 3) {
                byId.putIfAbsent(f[1], new Build(f[0], f[1], Long.parseLong(f[2])));
            }
        }
        return new ArrayList<>(byId.values());
    }
}

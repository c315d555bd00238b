// Driver-side progress of a run: a SparkListener that counts images done and shows it (console line or log lines).
package io.diffusers4j.job.progress;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.Tuple4;
import scala.collection.JavaConverters;
import scala.collection.Seq;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Follows a run from the driver: finished tasks report their final {@link JobMetrics#DONE} count at task end,
 * running tasks their latest one through executor heartbeats ({@code spark.executor.heartbeatInterval}, 10 s by
 * default), so progress moves while long partitions render. The line
 * <pre>
 * progress: 120/1000 images (12%), 3 error rows, 2.35 images/s, ETA 0:06:14
 * </pre>
 * is redrawn in place every second on an interactive console ({@link ConsoleLine}), else logged every
 * {@code interval}.
 * The total is the number of output rows the run writes (images to render and error rows), counted by the driver
 * before rendering starts. The same counters are visible in Spark's UI on the stage page.
 */
public final class JobProgress extends SparkListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobProgress.class);
    /** How often the console line is redrawn. */
    static final Duration CONSOLE_REFRESH = Duration.ofSeconds(1);
    private static final Duration FINAL_COUNT_WAIT = Duration.ofSeconds(2);

    private final SparkContext sc;
    private final JobMetrics metrics;
    private final long total;
    private final ProgressCounter done = new ProgressCounter();
    private final ProgressCounter errors = new ProgressCounter();
    private final long startNanos = System.nanoTime();
    private ScheduledExecutorService timer;
    private ConsoleLine console;

    private JobProgress(SparkContext sc, JobMetrics metrics, long total) {
        this.sc = sc;
        this.metrics = metrics;
        this.total = total;
    }

    /**
     * Registers the listener for a run that writes {@code total} rows and, when {@code interval} is positive,
     * shows the progress line: redrawn every second on {@code console} when it is not null (an interactive
     * terminal), else logged every {@code interval}.
     */
    public static JobProgress start(SparkContext sc, JobMetrics metrics, long total, Duration interval,
                                    ConsoleLine console) {
        return start(sc, metrics, total, interval, console, CONSOLE_REFRESH);
    }

    static JobProgress start(SparkContext sc, JobMetrics metrics, long total, Duration interval, ConsoleLine console,
                             Duration consoleRefresh) {
        JobProgress p = new JobProgress(sc, metrics, total);
        sc.addSparkListener(p);
        if (!interval.isZero() && !interval.isNegative()) {
            p.timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "d4j-progress");
                t.setDaemon(true);
                return t;
            });
            if (console != null) {
                p.console = console;
                long ms = consoleRefresh.toMillis();
                p.timer.scheduleAtFixedRate(() -> console.draw(p.line()), 0, ms, TimeUnit.MILLISECONDS);
            } else {
                long ms = interval.toMillis();
                p.timer.scheduleAtFixedRate(() -> LOG.info("{}", p.line()), ms, ms, TimeUnit.MILLISECONDS);
            }
        }
        return p;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        long taskId = e.taskInfo().taskId();
        boolean ok = e.taskInfo().successful();
        long d = 0;
        long err = 0;
        for (AccumulableInfo a : JavaConverters.seqAsJavaList(e.taskInfo().accumulables())) {
            if (a.id() == metrics.doneId()) {
                d = value(a.update());
            } else if (a.id() == metrics.errorsId()) {
                err = value(a.update());
            }
        }
        done.ended(taskId, ok, d);
        errors.ended(taskId, ok, err);
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
        for (Tuple4<Object, Object, Object, Seq<AccumulableInfo>> t
                : JavaConverters.seqAsJavaList(e.accumUpdates())) {
            long taskId = ((Number) t._1()).longValue();
            for (AccumulableInfo a : JavaConverters.seqAsJavaList(t._4())) {
                if (a.id() == metrics.doneId()) {
                    done.running(taskId, value(a.update()));
                } else if (a.id() == metrics.errorsId()) {
                    errors.running(taskId, value(a.update()));
                }
            }
        }
    }

    private static long value(Option<Object> update) {
        return update.isDefined() && update.get() instanceof Number n ? n.longValue() : 0;
    }

    /** Output rows (ok images and error rows) emitted so far. */
    public long done() {
        return done.total();
    }

    public long errors() {
        return errors.total();
    }

    /** Output rows this run writes. */
    public long total() {
        return total;
    }

    /** The progress line. */
    public String line() {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return line(done(), total(), errors(), seconds);
    }

    static String line(long done, long total, long errors, double seconds) {
        double rate = seconds > 0 ? done / seconds : 0;
        StringBuilder b = new StringBuilder("progress: ").append(done).append('/').append(total).append(" images (")
                .append(total <= 0 ? 100 : Math.min(100, Math.round(100.0 * done / total))).append("%)");
        if (errors > 0) {
            b.append(", ").append(errors).append(errors == 1 ? " error row" : " error rows");
        }
        b.append(String.format(Locale.ROOT, ", %.2f images/s", rate));
        if (rate > 0 && done < total) {
            b.append(", ETA ").append(clock((total - done) / rate));
        }
        return b.toString();
    }

    /** H:MM:SS. */
    static String clock(double seconds) {
        long s = (long) seconds;
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    /** Task-end events reach listeners asynchronously: give the last ones a moment (at most 2 s) to arrive. */
    private void awaitFinalCounts() {
        long deadline = System.nanoTime() + FINAL_COUNT_WAIT.toNanos();
        while (done() < total && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops showing progress (a console line gets its final state and a newline) and unregisters the listener. */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                timer.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (console != null) {
            awaitFinalCounts();
            console.draw(line());
            console.finish();
        }
        sc.removeSparkListener(this);
    }
}

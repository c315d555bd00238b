// Images done so far: completed tasks' final counts plus running tasks' latest heartbeat counts.
package io.diffusers4j.job.progress;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Sums one counter over tasks: a running task reports its latest value (Spark executor heartbeats carry running
 * tasks' accumulator values), a finished task its final one. A failed or killed attempt's rows are dropped (its
 * retry counts them again); a successful attempt's final value is kept. Thread-safe.
 */
public final class ProgressCounter {
    private final Map<Long, Long> running = new HashMap<>();
    /** Tasks that ended: a heartbeat that arrives after the end is stale and ignored. */
    private final Set<Long> ended = new HashSet<>();
    private long completed;

    /** A heartbeat: running task {@code taskId} has counted {@code value} so far. */
    public synchronized void running(long taskId, long value) {
        if (!ended.contains(taskId)) {
            running.put(taskId, value);
        }
    }

    /** Task {@code taskId} ended; {@code value} is its final count when it succeeded. */
    public synchronized void ended(long taskId, boolean success, long value) {
        running.remove(taskId);
        if (ended.add(taskId) && success) {
            completed += value;
        }
    }

    /** Completed tasks' counts plus running tasks' latest. */
    public synchronized long total() {
        long sum = completed;
        for (long v : running.values()) {
            sum += v;
        }
        return sum;
    }
}

// Classifying and describing failures of a pipeline call: out-of-memory, task kills, row-level errors.
package io.diffusers4j.job.render;

import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;

import java.util.Locale;

/**
 * What a failed micro-batch means. Out-of-memory (Java heap, libtorch CPU allocator, CUDA) makes the batch split;
 * a killed or interrupted task (speculation loser, cancelled job) and linkage errors (a broken deployment) must
 * fail the task rather than become error rows; anything else is the row's problem.
 */
public final class Failures {
    private static final int MAX_MESSAGE = 2000;
    private static final String[] OOM_MARKERS = {
        "out of memory", "outofmemory", "can't allocate memory", "cannot allocate memory", "not enough memory",
        "failed to allocate", "bad_alloc"
    };

    private Failures() {
    }

    /** True when {@code t} or a cause is an out-of-memory of the heap, libtorch's allocator or CUDA. */
    public static boolean isOutOfMemory(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof OutOfMemoryError) {
                return true;
            }
            String m = c.getMessage();
            if (m != null) {
                String lower = m.toLowerCase(Locale.ROOT);
                for (String marker : OOM_MARKERS) {
                    if (lower.contains(marker)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Rethrows what must fail the task instead of costing rows: kills, interrupts, linkage errors. */
    public static void rethrowIfFatal(Throwable t) {
        TaskContext tc = TaskContext.get();
        if (tc != null && tc.isInterrupted()) {
            throw new TaskKilledException(tc.getKillReason().getOrElse(() -> "task killed"));
        }
        if (t instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
            throw new TaskKilledException("interrupted");
        }
        if (t instanceof TaskKilledException tk) {
            throw tk;
        }
        if (t instanceof LinkageError le) {
            throw le;
        }
        if (t instanceof VirtualMachineError vme && !(t instanceof OutOfMemoryError)
                && !(t instanceof StackOverflowError)) {
            throw vme;
        }
    }

    /** "ExceptionClass: message (cause: ...)", one line, at most 2000 characters, secrets scrubbed. */
    public static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName());
        if (t.getMessage() != null) {
            sb.append(": ").append(t.getMessage());
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != t) {
            sb.append(" (cause: ").append(root.getClass().getSimpleName());
            if (root.getMessage() != null) {
                sb.append(": ").append(root.getMessage());
            }
            sb.append(')');
        }
        String s = Redaction.scrub(sb.toString().replaceAll("\\s*\\R\\s*", " "));
        return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE - 3) + "..." : s;
    }
}

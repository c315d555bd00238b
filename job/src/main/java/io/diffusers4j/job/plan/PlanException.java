// A dataset plan the job refuses: one line naming the plan file and the key, exit 2, before Spark starts.
package io.diffusers4j.job.plan;

/**
 * {@code plan conf/plans/x.json: slots.animal[2].weight: must be a finite number > 0, got -1}. An
 * IllegalArgumentException, so the command line reports it on one line with exit code 2.
 */
public final class PlanException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public PlanException(String planFile, String key, String message) {
        super("plan " + planFile + ": " + (key == null || key.isEmpty() ? "" : key + ": ") + message);
    }
}

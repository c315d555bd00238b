// Overflow-checked arithmetic for plan sizes: a plan larger than PlanLimits.MAX_PROMPTS is refused, never wrapped.
package io.diffusers4j.job.plan;

/** Products and sums of combination counts, saturating at {@link #TOO_MANY} (then the plan is refused). */
final class Counts {
    /** Any count at or above this is "too many" (above {@link PlanLimits#MAX_PROMPTS}). */
    static final long TOO_MANY = PlanLimits.MAX_PROMPTS + 1;

    private Counts() {
    }

    static long multiply(long a, long b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return a > TOO_MANY / b ? TOO_MANY : Math.min(TOO_MANY, a * b);
    }

    static long add(long a, long b) {
        return Math.min(TOO_MANY, a + b);
    }
}

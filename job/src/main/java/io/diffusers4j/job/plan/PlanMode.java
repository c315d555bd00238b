// How a plan turns its combinations into prompts: every one, or a seeded weighted sample.
package io.diffusers4j.job.plan;

import java.util.Locale;

/** {@code product}: every combination; {@code sample}: {@code count} prompts drawn with the plan seed. */
public enum PlanMode {
    PRODUCT, SAMPLE;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}

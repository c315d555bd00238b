// A row's custom denoising schedule: diffusers' timesteps= / sigmas= call arguments (retrieve_timesteps).
package io.diffusers4j.job.rows;

import io.diffusers4j.schedulers.Schedulers;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code timesteps} or {@code sigmas} of a row: a JSON array of numbers (JSONL), an array column (Parquet), or
 * one comma-separated string (CSV, or any format). As in diffusers the schedule replaces
 * {@code num_inference_steps}: {@link #steps()} is the number of timesteps, or of sigmas minus the final one.
 * Whether the scheduler accepts it is known only on the executor (a refusal fails that row's images).
 *
 * @param timesteps the custom timesteps, or null
 * @param sigmas    the custom sigmas (the last one the final sigma), or null
 */
public record CustomSchedule(List<Double> timesteps, List<Double> sigmas) implements Serializable {
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    /** Denoising steps this schedule makes. */
    public int steps() {
        return Schedulers.customScheduleSteps(toArray(timesteps), toArray(sigmas));
    }

    /**
     * The schedule a row's fields give, or null when they give none or an unusable one (each problem added to
     * {@code errors}, quoting the value).
     */
    static CustomSchedule of(Map<String, Object> fields, int maxSteps, List<String> errors) {
        int before = errors.size();
        List<Double> timesteps = numbers(PromptFields.TIMESTEPS, fields.get(PromptFields.TIMESTEPS), errors);
        List<Double> sigmas = numbers(PromptFields.SIGMAS, fields.get(PromptFields.SIGMAS), errors);
        if (timesteps != null && sigmas != null) {
            errors.add("timesteps and sigmas are both given: a custom schedule is one or the other");
        }
        if (timesteps != null && timesteps.isEmpty()) {
            errors.add("timesteps is empty");
        }
        if (sigmas != null && sigmas.size() < 2) {
            errors.add("sigmas " + sigmas + " needs at least 2 values (the last one is the final sigma)");
        }
        if (errors.size() > before || (timesteps == null && sigmas == null)) {
            return null;
        }
        CustomSchedule s = new CustomSchedule(timesteps, sigmas);
        if (s.steps() > maxSteps) {
            errors.add((timesteps != null ? "timesteps" : "sigmas") + " makes " + s.steps()
                    + " steps, exceeds max-steps " + maxSteps);
            return null;
        }
        return s;
    }

    private static List<Double> numbers(String field, Object v, List<String> errors) {
        if (v == null) {
            return null;
        }
        List<?> items;
        if (v instanceof List<?> list) {
            items = list;
        } else if (v instanceof String s) {
            items = s.isBlank() ? List.of() : List.of(s.split(",", -1));
        } else {
            errors.add(field + " " + RowValidator.describe(v) + " is not a list of numbers");
            return null;
        }
        List<Double> out = new ArrayList<>(items.size());
        for (Object item : items) {
            Double d = number(item);
            if (d == null || !Double.isFinite(d)) {
                errors.add(field + " " + RowValidator.describe(v) + " holds " + RowValidator.describe(item)
                        + ", not a finite number");
                return null;
            }
            out.add(d);
        }
        return out;
    }

    private static Double number(Object item) {
        if (item instanceof Long l) {
            return l.doubleValue();
        }
        if (item instanceof Double d) {
            return d;
        }
        if (item instanceof String s && NUMBER.matcher(s.trim()).matches()) {
            return Double.parseDouble(s.trim());
        }
        return null;
    }

    /** The values as a {@code double[]} (what the pipeline call takes), or null. */
    public static double[] toArray(List<Double> values) {
        return values == null ? null : values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}

// Validation and defaulting of one prompt record (runs inside Spark tasks, never on the driver).
package io.diffusers4j.job.rows;

import io.diffusers4j.job.input.RawRecord;
import io.diffusers4j.job.render.AdapterSet;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.schedulers.SchedulerNames;
import io.diffusers4j.schedulers.Schedulers;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns a {@link RawRecord} into a {@link PromptRow}: checks types and ranges, fills what the row leaves out
 * from {@link JobDefaults} (steps and guidance left null there are the pipeline's own, resolved on the executor,
 * as are the size and scheduler), derives a missing id (from file, line and content) and a missing seed (from the job
 * seed and the id). Every problem of a row is reported, joined by "; ", quoting the offending value; nothing is
 * corrected silently. The size check against the VAE factor needs the pipeline and happens on the executor
 * ({@code RenderPlanner}).
 */
public final class RowValidator implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);
    /** The longest {@code audio_length_in_s} a row may ask for, in seconds (bounded before anything is drawn). */
    public static final double MAX_AUDIO_LENGTH_S = 600;

    private final JobDefaults defaults;
    private final boolean promptRequired;
    private final Boolean flowMatching;

    /** A validator for a pipeline that needs a prompt (text-to-image and its family). */
    public RowValidator(JobDefaults defaults) {
        this(defaults, true);
    }

    /** A validator that checks scheduler names without a checkpoint. */
    public RowValidator(JobDefaults defaults, boolean promptRequired) {
        this(defaults, promptRequired, null);
    }

    /**
     * @param promptRequired the model's pipeline requires a prompt (its {@code requiredArguments}); false for the
     *                       pipelines that draw without one (DDPM, DDIM, Dance Diffusion), whose rows need only
     *                       an id and a seed (a prompt there is refused by the pipeline, as that row's error)
     * @param flowMatching   the checkpoint's scheduler is a flow-matching one (SD3, FLUX) or not, as the driver read
     *                       its scheduler config ({@link io.diffusers4j.schedulers.Schedulers#isFlowMatching(
     *                       io.diffusers4j.config.ConfigBase)}): a row's scheduler name is resolved in that family,
     *                       as {@code Schedulers.resolve(name, config)} resolves it, and one of the other family is
     *                       the row's error; null = unknown, names checked without a checkpoint
     */
    public RowValidator(JobDefaults defaults, boolean promptRequired, Boolean flowMatching) {
        this.defaults = defaults;
        this.promptRequired = promptRequired;
        this.flowMatching = flowMatching;
    }

    public JobDefaults defaults() {
        return defaults;
    }

    public PromptRow validate(RawRecord record) {
        String location = record.location();
        if (record.isMalformed()) {
            String id = SeedDeriver.deriveId(record.source(), record.position(), record.raw());
            return new PromptRow(id, null, null, null, null, null, null, null, null, null, null, null, null, null,
                    null, null, AdapterSet.NONE, null, location, record.raw(),
                    "malformed " + record.malformedReason());
        }
        Map<String, Object> f = record.fields();
        List<String> errors = new ArrayList<>();

        String id = idOf(f.get(PromptFields.ID), errors);
        if (id == null) {
            id = SeedDeriver.deriveId(record.source(), record.position(), record.raw());
        }
        String prompt = null;
        Object p = f.get(PromptFields.PROMPT);
        if (p == null) {
            if (promptRequired) {
                errors.add("missing required field \"prompt\"");
            }
        } else { // "" is a prompt, as in diffusers: the unconditional embedding
            prompt = text(PromptFields.PROMPT, p, errors);
        }
        String negative = orDefault(text(PromptFields.NEGATIVE_PROMPT, f.get(PromptFields.NEGATIVE_PROMPT), errors),
                defaults.negativePrompt());
        Integer steps = intIn(PromptFields.NUM_INFERENCE_STEPS, f.get(PromptFields.NUM_INFERENCE_STEPS), 1,
                defaults.maxSteps(), "max-steps", errors);
        Double guidance = finite(PromptFields.GUIDANCE_SCALE, f.get(PromptFields.GUIDANCE_SCALE), errors);
        Integer width = intIn(PromptFields.WIDTH, f.get(PromptFields.WIDTH), 1, defaults.maxSize(), "max-size",
                errors);
        Integer height = intIn(PromptFields.HEIGHT, f.get(PromptFields.HEIGHT), 1, defaults.maxSize(), "max-size",
                errors);
        String scheduler = text(PromptFields.SCHEDULER, f.get(PromptFields.SCHEDULER), errors);
        if (scheduler != null && scheduler.isBlank()) {
            errors.add("scheduler is empty");
            scheduler = null;
        } else if (scheduler != null) {
            try { // diffusers' class names and the web UIs' names, refused here rather than in the render
                if (flowMatching == null) {
                    Schedulers.resolve(scheduler);
                } else {
                    SchedulerNames.resolve(scheduler, flowMatching);
                }
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage());
            }
        }
        Integer images = intIn(PromptFields.NUM_IMAGES_PER_PROMPT, f.get(PromptFields.NUM_IMAGES_PER_PROMPT), 1,
                defaults.maxImagesPerPrompt(), "max-images-per-prompt", errors);
        Long seed = seedOf(f.get(PromptFields.SEED), errors);
        String prompt2 = text(PromptFields.PROMPT_2, f.get(PromptFields.PROMPT_2), errors);
        String negative2 = text(PromptFields.NEGATIVE_PROMPT_2, f.get(PromptFields.NEGATIVE_PROMPT_2), errors);
        String prompt3 = text(PromptFields.PROMPT_3, f.get(PromptFields.PROMPT_3), errors);
        String negative3 = text(PromptFields.NEGATIVE_PROMPT_3, f.get(PromptFields.NEGATIVE_PROMPT_3), errors);
        Integer maxSequenceLength = intIn(PromptFields.MAX_SEQUENCE_LENGTH, f.get(PromptFields.MAX_SEQUENCE_LENGTH), 1,
                PipelineCall.MAX_SEQUENCE_LENGTH, "the T5 limit", errors);
        CustomSchedule schedule = CustomSchedule.of(f, defaults.maxSteps(), errors);
        Double audioLength = finite(PromptFields.AUDIO_LENGTH_IN_S, f.get(PromptFields.AUDIO_LENGTH_IN_S), errors);
        if (audioLength != null && (audioLength <= 0 || audioLength > MAX_AUDIO_LENGTH_S)) {
            errors.add(PromptFields.AUDIO_LENGTH_IN_S + " " + audioLength + " is not in (0, " + MAX_AUDIO_LENGTH_S
                    + "] seconds");
            audioLength = null;
        }
        if (schedule != null) { // as in diffusers, a custom schedule replaces num_inference_steps
            steps = schedule.steps();
        }
        AdapterSet adapters = AdapterFields.of(f, errors);

        int n = images == null ? defaults.numImagesPerPrompt() : images;
        if (seed == null && f.get(PromptFields.SEED) == null) {
            seed = SeedDeriver.deriveSeed(defaults.jobSeed(), id);
        } else if (seed != null && seed > Long.MAX_VALUE - (n - 1)) {
            errors.add("seed " + seed + " + num_images_per_prompt " + n + " overflows a 64-bit seed");
        }
        String error = errors.isEmpty() ? null : String.join("; ", errors);
        return new PromptRow(id, prompt, negative, seed,
                orDefault(steps, defaults.numInferenceSteps()),
                orDefault(guidance, defaults.guidanceScale()),
                orDefault(width, defaults.width()),
                orDefault(height, defaults.height()),
                scheduler,
                n, prompt2, negative2, prompt3, negative3,
                orDefault(maxSequenceLength, defaults.maxSequenceLength()),
                schedule, adapters, audioLength, location, record.raw(), error);
    }

    private static <T> T orDefault(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private static String idOf(Object v, List<String> errors) {
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            if (s.isBlank()) {
                errors.add("id is blank");
                return null;
            }
            return s;
        }
        if (v instanceof Long l) {
            return Long.toString(l);
        }
        errors.add("id " + describe(v) + " is not text or an integer");
        return null;
    }

    private static String text(String field, Object v, List<String> errors) {
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            return s;
        }
        errors.add(field + " " + describe(v) + " is not text");
        return null;
    }

    private static Long seedOf(Object v, List<String> errors) {
        if (v == null) {
            return null;
        }
        Long s = integer(PromptFields.SEED, v, errors);
        if (s != null && s < 0) {
            errors.add("seed " + s + " is negative");
            return null;
        }
        return s;
    }

    private static Integer intIn(String field, Object v, int min, int max, String limitName, List<String> errors) {
        if (v == null) {
            return null;
        }
        Long value = integer(field, v, errors);
        if (value == null) {
            return null;
        }
        if (value < min) {
            errors.add(field + " " + value + " is below " + min);
            return null;
        }
        if (value > max) {
            errors.add(field + " " + value + " exceeds " + limitName + " " + max);
            return null;
        }
        return value.intValue();
    }

    private static Long integer(String field, Object v, List<String> errors) {
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Double d) {
            if (Double.isFinite(d) && d == Math.rint(d)) {
                if (Math.abs(d) < 0x1p63) {
                    return d.longValue();
                }
                errors.add(field + " " + describe(v) + " is out of the 64-bit range");
                return null;
            }
            errors.add(field + " " + describe(v) + " is not an integer");
            return null;
        }
        if (v instanceof String s) {
            String t = s.trim();
            if (INTEGER.matcher(t).matches()) {
                try {
                    return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
                } catch (NumberFormatException e) {
                    errors.add(field + " " + describe(v) + " is out of the 64-bit range");
                    return null;
                }
            }
        }
        errors.add(field + " " + describe(v) + " is not an integer");
        return null;
    }

    private static Double finite(String field, Object v, List<String> errors) {
        if (v == null) {
            return null;
        }
        double d;
        if (v instanceof Long l) {
            d = l;
        } else if (v instanceof Double x) {
            d = x;
        } else if (v instanceof String s && DECIMAL.matcher(s.trim()).matches()) {
            d = Double.parseDouble(s.trim());
        } else if (v instanceof String s && NON_FINITE.matcher(s.trim()).matches()) {
            d = Double.NaN;
        } else {
            errors.add(field + " " + describe(v) + " is not a number");
            return null;
        }
        if (!Double.isFinite(d)) {
            errors.add(field + " " + describe(v) + " is not finite");
            return null;
        }
        if (!Float.isFinite((float) d)) { // the pipeline computes in float32: it would become inf there
            errors.add(field + " " + describe(v) + " is outside the float32 range");
            return null;
        }
        return d;
    }

    /** A value as quoted in messages: text in double quotes, numbers plain, other kinds by name. */
    static String describe(Object v) {
        if (v instanceof String s) {
            String shown = s.length() > 60 ? s.substring(0, 57) + "..." : s;
            return "\"" + shown + "\"";
        }
        if (v instanceof Boolean b) {
            return "boolean " + b;
        }
        return String.valueOf(v);
    }
}

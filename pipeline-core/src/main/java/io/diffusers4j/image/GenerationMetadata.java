// The generation settings stored in a PNG's text chunks (own keys plus an AUTOMATIC1111-style "parameters" text).
package io.diffusers4j.image;

import io.diffusers4j.schedulers.SchedulerChoice;
import io.diffusers4j.schedulers.SchedulerNames;
import io.diffusers4j.utils.PythonJson;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What produced an image: prompt, negative prompt, seed, steps, guidance scale, scheduler, model, revision, size and
 * any extra settings. {@link #toPngText()} gives the text chunks to write with {@link Png#write}: one chunk per
 * setting under snake_case keys ({@code prompt}, {@code negative_prompt}, {@code seed}, {@code steps},
 * {@code guidance_scale}, {@code scheduler}, {@code model}, {@code revision}, {@code width}, {@code height}, then
 * the extras) and a {@code parameters} chunk in the AUTOMATIC1111 web UI's infotext layout, which image browsers
 * and prompt readers understand:
 *
 * <pre>
 * a photo of a cat
 * Negative prompt: blurry
 * Steps: 20, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: runwayml/stable-diffusion-v1-5
 * </pre>
 *
 * <p>Unset (null) settings are left out. Setters return {@code this}. A value PNG text cannot hold (a NUL
 * character, an unpaired surrogate) is written as its display form plus a lossless {@code <key>.json} chunk
 * ({@link PngTextEscaping}); {@link #fromPngText} reads the exact value back.
 */
public final class GenerationMetadata {
    /** Text chunk keys written by {@link #toPngText()}. */
    public static final String PROMPT = "prompt";
    public static final String NEGATIVE_PROMPT = "negative_prompt";
    public static final String SEED = "seed";
    public static final String STEPS = "steps";
    public static final String GUIDANCE_SCALE = "guidance_scale";
    public static final String SCHEDULER = "scheduler";
    public static final String MODEL = "model";
    public static final String REVISION = "revision";
    public static final String WIDTH = "width";
    public static final String HEIGHT = "height";
    public static final String PARAMETERS = "parameters";

    private String prompt;
    private String negativePrompt;
    private Long seed;
    private Integer steps;
    private Double guidanceScale;
    private String scheduler;
    private String model;
    private String revision;
    private Integer width;
    private Integer height;
    private final Map<String, String> extra = new LinkedHashMap<>();
    private AdapterMetadata adapters = AdapterMetadata.NONE;

    public GenerationMetadata prompt(String v) {
        this.prompt = v;
        return this;
    }

    public GenerationMetadata negativePrompt(String v) {
        this.negativePrompt = v;
        return this;
    }

    public GenerationMetadata seed(Long v) {
        this.seed = v;
        return this;
    }

    public GenerationMetadata steps(Integer v) {
        this.steps = v;
        return this;
    }

    public GenerationMetadata guidanceScale(Double v) {
        this.guidanceScale = v;
        return this;
    }

    /**
     * The scheduler: a diffusers class name ({@code DDIMScheduler}) or a web UI name the schedulers accept
     * ({@code DPM++ 2M Karras}, {@code dpmpp_2m karras}); {@code parameters} shows the web UI's name for it.
     */
    public GenerationMetadata scheduler(String v) {
        this.scheduler = v;
        return this;
    }

    /** Model id or path. */
    public GenerationMetadata model(String v) {
        this.model = v;
        return this;
    }

    public GenerationMetadata revision(String v) {
        this.revision = v;
        return this;
    }

    public GenerationMetadata size(int w, int h) {
        this.width = w;
        this.height = h;
        return this;
    }

    /**
     * A custom schedule (diffusers' {@code timesteps=} / {@code sigmas=}) as {@code timesteps} / {@code sigmas}
     * entries, comma-separated, integers without a fraction; null arrays add nothing.
     */
    public GenerationMetadata schedule(double[] timesteps, double[] sigmas) {
        if (timesteps != null) {
            put("timesteps", numbers(timesteps));
        }
        if (sigmas != null) {
            put("sigmas", numbers(sigmas));
        }
        return this;
    }

    /** SDXL's {@code prompt_2} / {@code negative_prompt_2} entries, when set. */
    public GenerationMetadata secondPrompts(String prompt2, String negativePrompt2) {
        if (prompt2 != null) {
            put("prompt_2", prompt2);
        }
        if (negativePrompt2 != null) {
            put("negative_prompt_2", negativePrompt2);
        }
        return this;
    }

    /** Stable Diffusion 3's {@code prompt_3} / {@code negative_prompt_3} entries, when set. */
    public GenerationMetadata thirdPrompts(String prompt3, String negativePrompt3) {
        if (prompt3 != null) {
            put("prompt_3", prompt3);
        }
        if (negativePrompt3 != null) {
            put("negative_prompt_3", negativePrompt3);
        }
        return this;
    }

    /** The {@code max_sequence_length} entry (the T5 prompt length a call used), when set. */
    public GenerationMetadata maxSequenceLength(Integer value) {
        if (value != null) {
            put("max_sequence_length", Integer.toString(value));
        }
        return this;
    }

    /** A schedule as its text chunk holds it: comma-separated, integers without a fraction ("999,500,1"). */
    public static String numbers(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : ",")
                    .append(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v));
        }
        return b.toString();
    }

    /** Any other setting (a PNG keyword: 1-79 Latin-1 characters); shown in {@code parameters} too. */
    public GenerationMetadata put(String key, String value) {
        Png.checkKeyword(key);
        extra.put(key, value);
        return this;
    }

    public String prompt() {
        return prompt;
    }

    public String negativePrompt() {
        return negativePrompt;
    }

    public Long seed() {
        return seed;
    }

    public Integer steps() {
        return steps;
    }

    public Double guidanceScale() {
        return guidanceScale;
    }

    public String scheduler() {
        return scheduler;
    }

    public String model() {
        return model;
    }

    public String revision() {
        return revision;
    }

    public Integer width() {
        return width;
    }

    public Integer height() {
        return height;
    }

    /** The LoRAs and textual-inversion embeddings of the generation (chunks {@code loras}, ...). */
    public GenerationMetadata adapters(AdapterMetadata v) {
        this.adapters = v == null ? AdapterMetadata.NONE : v;
        return this;
    }

    public AdapterMetadata adapters() {
        return adapters;
    }

    public Map<String, String> extra() {
        return Collections.unmodifiableMap(extra);
    }

    /**
     * The text chunks: one per set field, the extras, then {@code parameters}; a value PNG text cannot hold is
     * followed by its {@code .json} chunk ({@link PngTextEscaping}).
     */
    public Map<String, String> toPngText() {
        Map<String, String> out = new LinkedHashMap<>();
        putIf(out, PROMPT, prompt);
        putIf(out, NEGATIVE_PROMPT, negativePrompt);
        putIf(out, SEED, seed);
        putIf(out, STEPS, steps);
        putIf(out, GUIDANCE_SCALE, guidanceScale == null ? null : pythonFloat(guidanceScale));
        putIf(out, SCHEDULER, scheduler);
        putIf(out, MODEL, model);
        putIf(out, REVISION, revision);
        putIf(out, WIDTH, width);
        putIf(out, HEIGHT, height);
        out.putAll(adapters.pngText());
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (!out.containsKey(e.getKey())) {
                putIf(out, e.getKey(), e.getValue());
            }
        }
        out.put(PARAMETERS, a1111Parameters());
        return PngTextEscaping.escape(out);
    }

    private static void putIf(Map<String, String> out, String key, Object value) {
        if (value != null) {
            out.put(key, value.toString());
        }
    }

    /**
     * The web UI's infotext: the prompt, {@code "\nNegative prompt: ..."} when there is one, then one line of
     * {@code Key: value} pairs joined by {@code ", "}; a value containing a comma, colon or newline is written as a
     * JSON string (the web UI's {@code quote}). The whole text is stripped of surrounding whitespace.
     */
    public String a1111Parameters() {
        Map<String, String> params = new LinkedHashMap<>();
        putIf(params, "Steps", steps);
        if (scheduler != null) {
            SchedulerChoice choice = SchedulerNames.find(scheduler).orElse(null);
            params.put("Sampler", choice != null ? choice.a1111Sampler()
                    : SchedulerNames.a1111Name(scheduler).orElse(scheduler));
            putIf(params, "Schedule type", choice == null ? null : choice.a1111ScheduleType());
        }
        putIf(params, "CFG scale", guidanceScale == null ? null : pythonFloat(guidanceScale));
        putIf(params, "Seed", seed);
        if (width != null && height != null) {
            params.put("Size", width + "x" + height);
        }
        putIf(params, "Model", model);
        putIf(params, "Revision", revision);
        params.putAll(adapters.a1111Parameters());
        extra.forEach((k, v) -> putIf(params, k, v));
        StringBuilder line = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (line.length() > 0) {
                line.append(", ");
            }
            line.append(e.getKey()).append(": ").append(quote(e.getValue()));
        }
        StringBuilder text = new StringBuilder(prompt == null ? "" : prompt).append(adapters.a1111PromptTags());
        if (negativePrompt != null && !negativePrompt.isEmpty()) {
            text.append("\nNegative prompt: ").append(negativePrompt);
        }
        text.append('\n').append(line);
        return text.toString().strip();
    }

    /**
     * Reads the snake_case chunks written by {@link #toPngText()}, escaped values restored exactly (unknown chunks
     * become extras).
     */
    public static GenerationMetadata fromPngText(Map<String, String> text) {
        GenerationMetadata m = new GenerationMetadata();
        for (Map.Entry<String, String> e : PngTextEscaping.unescape(text).entrySet()) {
            String v = e.getValue();
            try {
                switch (e.getKey()) {
                    case PROMPT -> m.prompt = v;
                    case NEGATIVE_PROMPT -> m.negativePrompt = v;
                    case SEED -> m.seed = Long.parseLong(v.strip());
                    case STEPS -> m.steps = Integer.parseInt(v.strip());
                    case GUIDANCE_SCALE -> m.guidanceScale = Double.parseDouble(v.strip());
                    case SCHEDULER -> m.scheduler = v;
                    case MODEL -> m.model = v;
                    case REVISION -> m.revision = v;
                    case WIDTH -> m.width = Integer.parseInt(v.strip());
                    case HEIGHT -> m.height = Integer.parseInt(v.strip());
                    case PARAMETERS, AdapterMetadata.LORAS, AdapterMetadata.TEXTUAL_INVERSIONS -> { }
                    default -> m.extra.put(e.getKey(), v);
                }
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("PNG text '" + e.getKey() + "' = '" + v + "' is not a number", ex);
            }
        }
        m.adapters = AdapterMetadata.fromPngText(text.get(AdapterMetadata.LORAS),
                text.get(AdapterMetadata.TEXTUAL_INVERSIONS));
        return m;
    }

    /** Python's {@code repr(float)} for ordinary values: 7.0 stays "7.0", 7.5 "7.5". */
    static String pythonFloat(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e16) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return Double.toString(v);
    }

    /** The web UI's {@code quote}: JSON-quote values containing ',', ':' or a newline. */
    static String quote(String v) {
        if (v.indexOf(',') < 0 && v.indexOf(':') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        return PythonJson.dumpsString(v, false);
    }
}

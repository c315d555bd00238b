// Every size a dataset plan can set, bounded: the plan is checked against these on the driver before Spark starts.
package io.diffusers4j.job.plan;

/**
 * The caps. A plan may describe up to {@link #MAX_PROMPTS} prompts because nothing is materialised (partitions
 * decode index ranges); what is held in memory (the plan, its value lists and files, a sample's draws) is bounded.
 */
public final class PlanLimits {
    /** The plan file itself. */
    public static final long MAX_PLAN_BYTES = 4L << 20;
    /** One slot file or wildcard file. */
    public static final long MAX_FILE_BYTES = 32L << 20;
    /** Characters of every value of the plan together (templates, slot values, file lines): what is broadcast. */
    public static final long MAX_TOTAL_CHARS = 64L << 20;
    /** Values of one slot, wildcard or inline alternative group. */
    public static final int MAX_VALUES = 1_000_000;
    /** Templates of a plan. */
    public static final int MAX_TEMPLATES = 10_000;
    /** Slots of a plan; wildcard files it reads. */
    public static final int MAX_SLOTS = 1_000;
    /** One template, slot value or file line. */
    public static final int MAX_TEXT_CHARS = 10_000;
    /** The longest prompt a template can resolve to (checked on the driver over every combination). */
    public static final int MAX_PROMPT_CHARS = 100_000;
    /** Slots in values in slots ...: how deep references may nest. */
    public static final int MAX_DEPTH = 16;
    /** Values per sweep key. */
    public static final int MAX_SWEEP_VALUES = 1_000;
    /** Prompts of one plan (product of its value counts), so that prompts x images fits a long. */
    public static final long MAX_PROMPTS = 1_000_000_000_000_000L;
    /** Sample mode: prompts drawn (the draws are held on the driver). */
    public static final int MAX_SAMPLE_COUNT = 1_000_000;
    /** images_per_prompt (as the seed contract allows). */
    public static final int MAX_IMAGES_PER_PROMPT = 1024;

    private PlanLimits() {
    }
}

// What `diffusers4j plan` prints: the counts per template and the first resolved prompts, as text or JSON.
package io.diffusers4j.job.plan;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A plan's counts and its first {@code limit} prompts, computed without loading a model or starting Spark. */
public final class PlanPreview {
    private final DatasetPlan plan;
    private final Map<String, Long> combinations;
    private final Map<String, Long> prompts;
    private final List<PlanRow> rows;

    public PlanPreview(DatasetPlan plan, long limit) {
        this.plan = plan;
        this.combinations = plan.combinationsPerTemplate();
        long[] sample = plan.sample();
        if (sample == null) {
            this.prompts = combinations;
        } else {
            Map<String, Long> drawn = new LinkedHashMap<>();
            combinations.keySet().forEach(id -> drawn.put(id, 0L));
            for (long key : sample) {
                drawn.merge(plan.templateOf(key), 1L, Long::sum);
            }
            this.prompts = drawn;
        }
        this.rows = new ArrayList<>();
        for (long i = 0; i < Math.min(limit, plan.prompts()); i++) {
            rows.add(plan.row(DatasetPlan.keyAt(i, sample)));
        }
    }

    public List<PlanRow> rows() {
        return rows;
    }

    /** Prompts per template id (sample mode: how many of the draws each template got). */
    public Map<String, Long> promptsPerTemplate() {
        return prompts;
    }

    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("plan ").append(plan.file()).append(" (").append(plan.name()).append("): ");
        if (plan.mode() == PlanMode.SAMPLE) {
            sb.append("sample mode, ").append(plan.prompts()).append(" prompts drawn from ")
                    .append(plan.combinations()).append(" combinations");
        } else {
            sb.append("product mode, ").append(plan.prompts()).append(" prompts");
        }
        sb.append(" x ").append(plan.imagesPerPrompt()).append(" image(s) = ").append(plan.images())
                .append(" images (seed ").append(plan.seed()).append(")\n");
        for (String id : combinations.keySet()) {
            sb.append("  template ").append(id).append(": ").append(prompts.get(id)).append(" prompts");
            if (plan.mode() == PlanMode.SAMPLE) {
                sb.append(" of ").append(combinations.get(id)).append(" combinations");
            }
            sb.append('\n');
        }
        sb.append("first ").append(rows.size()).append(" of ").append(plan.prompts()).append(" prompts:\n");
        for (PlanRow r : rows) {
            sb.append("  ").append(r.id()).append("  seed ").append(r.seed()).append('\n');
            sb.append("    prompt: ").append(r.prompt()).append('\n');
            if (r.negativePrompt() != null) {
                sb.append("    negative_prompt: ").append(r.negativePrompt()).append('\n');
            }
            if (!r.slots().isEmpty()) {
                sb.append("    slots:");
                r.slots().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
                sb.append('\n');
            }
            String params = parameters(r);
            if (!params.isEmpty()) {
                sb.append("   ").append(params).append('\n');
            }
        }
        return sb.toString();
    }

    private static String parameters(PlanRow r) {
        StringBuilder sb = new StringBuilder();
        append(sb, "num_inference_steps", r.numInferenceSteps());
        append(sb, "guidance_scale", r.guidanceScale());
        append(sb, "width", r.width());
        append(sb, "height", r.height());
        append(sb, "scheduler", r.scheduler());
        append(sb, "loras", r.loras());
        append(sb, "textual_inversions", r.textualInversions());
        append(sb, "max_sequence_length", r.maxSequenceLength());
        return sb.toString();
    }

    private static void append(StringBuilder sb, String key, Object value) {
        if (value != null) {
            sb.append(' ').append(key).append('=').append(value);
        }
    }

    public String json() {
        JsonObject o = new JsonObject();
        o.addProperty("plan", plan.file());
        o.addProperty("name", plan.name());
        o.addProperty("mode", plan.mode().key());
        o.addProperty("seed", plan.seed());
        o.addProperty("combinations", plan.combinations());
        o.addProperty("prompts", plan.prompts());
        o.addProperty("images_per_prompt", plan.imagesPerPrompt());
        o.addProperty("images", plan.images());
        JsonArray templates = new JsonArray();
        for (String id : combinations.keySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("id", id);
            t.addProperty("combinations", combinations.get(id));
            t.addProperty("prompts", prompts.get(id));
            templates.add(t);
        }
        o.add("templates", templates);
        JsonArray list = new JsonArray();
        for (PlanRow r : rows) {
            JsonObject j = new JsonObject();
            j.addProperty("id", r.id());
            j.addProperty("template_id", r.templateId());
            j.addProperty("prompt", r.prompt());
            j.addProperty("negative_prompt", r.negativePrompt());
            JsonObject slots = new JsonObject();
            r.slots().forEach(slots::addProperty);
            j.add("slots", slots);
            j.addProperty("num_inference_steps", r.numInferenceSteps());
            j.addProperty("guidance_scale", r.guidanceScale());
            j.addProperty("width", r.width());
            j.addProperty("height", r.height());
            j.addProperty("scheduler", r.scheduler());
            j.add("loras", adapters(r.loras()));
            j.add("textual_inversions", adapters(r.textualInversions()));
            j.addProperty("max_sequence_length", r.maxSequenceLength());
            j.addProperty("seed", r.seed());
            j.addProperty("num_images_per_prompt", r.imagesPerPrompt());
            list.add(j);
        }
        o.add("rows", list);
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().setPrettyPrinting().create().toJson(o);
    }

    private static JsonElement adapters(List<String> entries) {
        if (entries == null) {
            return JsonNull.INSTANCE;
        }
        JsonArray a = new JsonArray();
        entries.forEach(a::add);
        return a;
    }
}

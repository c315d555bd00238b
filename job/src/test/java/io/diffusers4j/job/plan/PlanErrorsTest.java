// A bad plan is one line naming the plan file and the key, thrown before anything runs (the CLI exits 2).
package io.diffusers4j.job.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.diffusers4j.job.plan.PlanFixtures.plan;
import static io.diffusers4j.job.plan.PlanFixtures.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanErrorsTest {
    @TempDir
    Path dir;

    private String error(String json) {
        PlanException e = assertThrows(PlanException.class, () -> plan(dir, json));
        String m = e.getMessage();
        assertTrue(m.startsWith("plan " + dir.resolve("plan.json") + ": "), m);
        assertFalse(m.contains("\n"), m);
        return m.substring(("plan " + dir.resolve("plan.json") + ": ").length());
    }

    private static final String T = "\"templates\": [{\"id\": \"t\", \"prompt\": \"%s\"}]";

    private String template(String prompt, String rest) {
        return "{" + String.format(T, prompt) + (rest.isEmpty() ? "" : ", " + rest) + "}";
    }

    @Test
    void undefinedSlotsEmptyListsAndCyclesNameTheKey() {
        assertEquals("templates[0].prompt: slot {colour} is not defined in slots (defined: animal)",
                error(template("{colour}", "\"slots\": {\"animal\": [\"cat\"]}")));
        assertEquals("slots.animal: the list is empty", error(template("{animal}", "\"slots\": {\"animal\": []}")));
        assertEquals("slots.a: reference cycle a -> b -> a",
                error(template("{a}", "\"slots\": {\"a\": [\"x {b}\"], \"b\": [\"y\", \"{a}\"]}")));
        assertEquals("slots.a: reference cycle a -> a", error(template("{a}", "\"slots\": {\"a\": [\"{a}\"]}")));
    }

    @Test
    void malformedPlansAndTemplatesNameTheKey() {
        assertTrue(error("{\"templates\": [").startsWith("not valid JSON or HOCON: "));
        assertEquals("templates: a plan needs templates: [{\"id\": ..., \"prompt\": ...}, ...]", error("{}"));
        assertEquals("templats: unknown key (known: count, defaults, description, images_per_prompt, mode, name, "
                + "seed, slots, sweep, templates)", error("{\"templats\": []}"));
        assertEquals("templates[0].prompt: unclosed { (write {{ for a literal brace) at character 3 of \"a {b\"",
                error(template("a {b", "")));
        assertEquals("templates[0].prompt: unmatched } (write }} for a literal brace) at character 2 of \"a}\"",
                error(template("a}", "")));
        assertTrue(error(template("{two words}", "")).startsWith("templates[0].prompt: {two words} is neither"));
        assertTrue(error(template("{a|a}", "")).contains("the alternative \"a\" appears twice"));
        assertEquals("templates[0].weight: must be a finite number > 0, got -1",
                error("{\"templates\": [{\"id\": \"t\", \"prompt\": \"p\", \"weight\": -1}]}"));
        assertEquals("templates[1].id: \"t\" is the id of an earlier template",
                error("{\"templates\": [{\"id\": \"t\", \"prompt\": \"p\"}, {\"id\": \"t\", \"prompt\": \"q\"}]}"));
        assertTrue(error(template("p", "\"x\": ${seed}, \"seed\": 1")).contains("substitutions"));
        assertTrue(error("{include \"other.conf\"\n" + template("p", "").substring(1))
                .contains("include is not supported"));
    }

    @Test
    void valuesModesAndSweepsAreChecked() {
        assertEquals("slots.animal[1]: the value \"cat\" appears twice (ids would repeat)",
                error(template("{animal}", "\"slots\": {\"animal\": [\"cat\", \"cat\"]}")));
        assertEquals("slots.animal[0].weight: must be a finite number > 0, got 0", error(template("{animal}",
                "\"slots\": {\"animal\": [{\"value\": \"cat\", \"weight\": 0}]}")));
        assertEquals("count: sample mode needs count (how many prompts to draw)",
                error(template("p", "\"mode\": \"sample\"")));
        assertEquals("count: is for \"mode\": \"sample\" (product mode renders every combination)",
                error(template("p", "\"count\": 3")));
        assertEquals("count: must be an integer in [1, 1000000], got 0",
                error(template("p", "\"mode\": \"sample\", \"count\": 0")));
        assertEquals("mode: must be \"product\" or \"sample\", got \"all\"", error(template("p", "\"mode\": \"all\"")));
        assertEquals("images_per_prompt: must be an integer in [1, 1024], got 2000",
                error(template("p", "\"images_per_prompt\": 2000")));
        assertEquals("sweep.size[0]: must be \"WIDTHxHEIGHT\" (e.g. \"512x768\"), got \"512\"",
                error(template("p", "\"sweep\": {\"size\": [\"512\"]}")));
        assertEquals("sweep.guidance_scale[1]: the value 7.5 appears twice",
                error(template("p", "\"sweep\": {\"guidance_scale\": [7.5, 7.50]}")));
        assertEquals("sweep.steps: unknown key (known: guidance_scale, height, loras, max_sequence_length, "
                + "num_inference_steps, scheduler, size, textual_inversions, width)",
                error(template("p", "\"sweep\": {\"steps\": [1]}")));
        assertEquals("sweep.max_sequence_length[1]: must be an integer in [1, 512], got 1024",
                error(template("p", "\"sweep\": {\"max_sequence_length\": [256, 1024]}")));
        assertEquals("defaults.max_sequence_length: must be an integer in [1, 512], got 0",
                error(template("p", "\"defaults\": {\"max_sequence_length\": 0}")));
        assertEquals("sweep.num_inference_steps: the list is empty",
                error(template("p", "\"sweep\": {\"num_inference_steps\": []}")));
        assertTrue(error(template("p", "\"sweep\": {\"scheduler\": [\"EulerDiscreteScheduler\", \"NoSuch\"]}"))
                .startsWith("sweep.scheduler[1]: "));
        assertEquals("defaults.size: give size or width/height, not both",
                error(template("p", "\"defaults\": {\"size\": \"8x8\", \"width\": 8}")));
    }

    @Test
    void filesAndWildcardsAreCheckedAndBounded() {
        assertEquals("templates[0].prompt: wildcard __color__: no such file " + dir.resolve("color.txt"),
                error(template("__color__", "")));
        write(dir, "empty.txt", "\n# only a comment\n");
        assertEquals("slots.x: empty.txt has no values (blank lines and # comments are skipped)",
                error(template("{x}", "\"slots\": {\"x\": {\"file\": \"empty.txt\"}}")));
        assertTrue(error(template("{x}", "\"slots\": {\"x\": {\"file\": \".\"}}")).endsWith("is not a file"));
        write(dir, "bad.txt", "ok\n{broken\n");
        assertTrue(error(template("{x}", "\"slots\": {\"x\": {\"file\": \"bad.txt\"}}"))
                .startsWith("slots.x (bad.txt:2): unclosed {"));
        assertTrue(error(template("x".repeat(PlanLimits.MAX_TEXT_CHARS + 1), "")).contains("at most 10000"));
    }

    @Test
    void tooManyCombinationsAreRefusedNotWrapped() {
        StringBuilder slots = new StringBuilder();
        StringBuilder prompt = new StringBuilder();
        StringBuilder values = new StringBuilder("[");
        for (int i = 0; i < 1000; i++) {
            values.append(i == 0 ? "" : ",").append("\"v").append(i).append('"');
        }
        values.append(']');
        for (int s = 0; s < 7; s++) { // 1000^7 = 10^21
            slots.append(s == 0 ? "" : ",").append("\"s").append(s).append("\": ").append(values);
            prompt.append("{s").append(s).append('}');
        }
        assertEquals("templates[0]: more than " + PlanLimits.MAX_PROMPTS + " combinations",
                error(template(prompt.toString(), "\"slots\": {" + slots + "}")));
    }

    @Test
    void badAdapterListsNameTheKey() {
        assertTrue(error(template("a", "\"defaults\": {\"loras\": \"x.safetensors\"}"))
                .startsWith("defaults.loras: a list of"));
        assertEquals("sweep.loras[1][0]: an entry needs \"name\"",
                error(template("a", "\"sweep\": {\"loras\": [[], [{\"scale\": 0.5}]]}")));
        assertTrue(error(template("a", "\"sweep\": {\"textual_inversions\": [[\"a\"], [\"a\"]]}"))
                .startsWith("sweep.textual_inversions[1]: the value [a] appears twice"));
    }
}

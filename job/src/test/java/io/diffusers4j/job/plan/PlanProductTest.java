// Product mode: counts and resolved prompts of slots, files, inline alternatives, wildcards, escapes and sweeps.
package io.diffusers4j.job.plan;

import io.diffusers4j.job.rows.SeedDeriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.diffusers4j.job.plan.PlanFixtures.all;
import static io.diffusers4j.job.plan.PlanFixtures.plan;
import static io.diffusers4j.job.plan.PlanFixtures.prompts;
import static io.diffusers4j.job.plan.PlanFixtures.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanProductTest {
    @TempDir
    Path dir;

    @Test
    void theIssuesExamplePlanCountsEveryCombinationTimesTheSweepTimesTheImages() {
        write(dir, "places.txt", "forest\n\n# a comment\nbeach\r\n");
        DatasetPlan p = plan(dir, """
            {
              # HOCON comments are allowed: the plan is parsed as HOCON, so JSON always works
              "seed": 1234, "mode": "product", "images_per_prompt": 2,
              "templates": [{"id": "animals", "prompt": "a photo of a {animal} in {place}, {red|green|blue} light",
                             "negative_prompt": "blurry", "weight": 1.0}],
              "slots": {"animal": ["cat", "dog", {"value": "red fox", "weight": 2.0}], "place": {"file": "places.txt"}},
              "sweep": {"guidance_scale": [5.0, 7.5], "num_inference_steps": [20],
                        "scheduler": ["EulerDiscreteScheduler"], "size": ["512x512", "768x512"]},
              "defaults": {"negative_prompt": "lowres"}
            }""");
        assertEquals(3 * 2 * 3 * 4, p.combinations());
        assertEquals(72, p.prompts());
        assertEquals(144, p.images());
        assertEquals(Map.of("animals", 72L), p.combinationsPerTemplate());
        List<PlanRow> rows = all(p);
        PlanRow first = rows.get(0);
        assertEquals("a photo of a cat in forest, red light", first.prompt());
        assertEquals("blurry", first.negativePrompt());
        assertEquals(Map.of("animal", "cat", "place", "forest", "{1}", "red"), first.slots());
        assertEquals(5.0, first.guidanceScale());
        assertEquals(20, first.numInferenceSteps());
        assertEquals("EulerDiscreteScheduler", first.scheduler());
        assertEquals(512, first.width());
        assertEquals(512, first.height());
        assertEquals(2, first.imagesPerPrompt());
        assertEquals(SeedDeriver.deriveSeed(1234, first.id()), first.seed());
        assertTrue(first.id().startsWith("animals-"), first.id());
        // the sweep is the fastest digit, then the last slot of the template
        assertEquals(768, rows.get(1).width());
        assertEquals(7.5, rows.get(2).guidanceScale());
        assertEquals("a photo of a cat in forest, green light", rows.get(4).prompt());
        assertEquals("a photo of a red fox in beach, blue light", rows.get(71).prompt());
        Set<String> ids = new HashSet<>();
        rows.forEach(r -> ids.add(r.id()));
        assertEquals(72, ids.size(), "ids are unique");
        assertEquals(18, new HashSet<>(prompts(p)).size(), "3 animals x 2 places x 3 lights");
    }

    @Test
    void inlineAlternativesNestAndEscapedBracesAreLiteral() {
        DatasetPlan p = plan(dir, """
            {"templates": [{"id": "t", "prompt": "{{x}} {a|b {c|d}|} }}"}]}""");
        assertEquals(List.of("{x} a }", "{x} b c }", "{x} b d }", "{x}  }"), prompts(p));
        assertEquals(Map.of("{1}", "b c"), all(p).get(1).slots());
    }

    @Test
    void aSlotTheTemplateNamesTwiceHasOneValueAndValuesMayReferenceOtherSlots() {
        DatasetPlan p = plan(dir, """
            {"templates": [{"id": "t", "prompt": "{animal} and {animal}"}],
             "slots": {"animal": ["cat", "{size} dog"], "size": ["big", "small"]}}""");
        assertEquals(List.of("cat and cat", "big dog and big dog", "small dog and small dog"), prompts(p));
        assertEquals(Map.of("animal", "small dog"), all(p).get(2).slots());
    }

    @Test
    void wildcardsAreFilesBesideThePlanAndMayNest() {
        write(dir, "color.txt", "red\nblue\n");
        write(dir, "things/shade.txt", "dark __color__\nlight\n");
        DatasetPlan p = plan(dir, """
            {"templates": [{"id": "w", "prompt": "a __things/shade__ __color__ car, a__ b"}]}""");
        // shade: 2 + 1 = 3 resolutions (a nested wildcard is its own choice); color: 2
        assertEquals(6, p.combinations());
        assertEquals(List.of("a dark red red car, a__ b", "a dark red blue car, a__ b",
                "a dark blue red car, a__ b", "a dark blue blue car, a__ b",
                "a light red car, a__ b", "a light blue car, a__ b"), prompts(p));
        assertEquals(Map.of("__things/shade__", "dark blue", "__color__", "red"), all(p).get(2).slots());
    }

    @Test
    void templatesAreConcatenatedAndDefaultsFillWhatTheSweepLeavesOut() {
        DatasetPlan p = plan(dir, """
            {"templates": [{"id": "a", "prompt": "{x}"}, {"id": "b", "prompt": "plain", "negative_prompt": "n"}],
             "slots": {"x": ["1", "2", "3"]},
             "sweep": {"width": [64, 128]},
             "defaults": {"num_inference_steps": 4, "width": 32, "height": 48, "negative_prompt": "bad"}}""");
        assertEquals(Map.of("a", 6L, "b", 2L), p.combinationsPerTemplate());
        List<PlanRow> rows = all(p);
        assertEquals(8, rows.size());
        assertEquals("bad", rows.get(0).negativePrompt());
        assertEquals("n", rows.get(6).negativePrompt());
        assertEquals(64, rows.get(0).width());
        assertEquals(128, rows.get(1).width());
        assertEquals(48, rows.get(1).height());
        assertEquals(4, rows.get(7).numInferenceSteps());
        assertNull(rows.get(7).guidanceScale(), "unset: the job's (then the pipeline's) default");
        assertEquals("b", p.templateOf(7));
    }

    @Test
    void maxSequenceLengthIsASweepAxisAndADefault() {
        String template = "{\"id\": \"t\", \"prompt\": \"a {cat|dog}\"}";
        DatasetPlan before = plan(dir, "{\"templates\": [" + template + "],"
                + " \"sweep\": {\"num_inference_steps\": [4]}}");
        DatasetPlan p = plan(dir, "{\"templates\": [" + template + "], \"sweep\": {\"num_inference_steps\": [4]},"
                + " \"defaults\": {\"max_sequence_length\": 256}}");
        assertEquals(before.row(0).id(), p.row(0).id(), "a default is not part of the id");
        assertEquals(256, p.row(1).maxSequenceLength());
        assertNull(before.row(1).maxSequenceLength(), "unset: the job's (then the pipeline's) default");
        DatasetPlan swept = plan(dir, "{\"templates\": [" + template + "], \"sweep\": {\"num_inference_steps\": [4],"
                + " \"max_sequence_length\": [77, 512]}, \"defaults\": {\"max_sequence_length\": 256}}");
        List<PlanRow> rows = all(swept);
        assertEquals(List.of(77, 512, 77, 512), rows.stream().map(PlanRow::maxSequenceLength).toList(),
                "the sweep wins over the default, its axis varies fastest");
        assertEquals(4, new HashSet<>(rows.stream().map(PlanRow::id).toList()).size(), "each sweep point its own id");
    }

    @Test
    void aBillionCombinationsParseAndDecodeWithoutMaterialising() {
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            a.append(i == 0 ? "" : ",").append("\"v").append(i).append('"');
        }
        long t0 = System.nanoTime();
        DatasetPlan p = plan(dir, "{\"templates\": [{\"id\": \"big\", \"prompt\": \"{a} {b} {c}\"}], \"slots\": "
                + "{\"a\": [" + a + "], \"b\": [" + a + "], \"c\": [" + a + "]}}");
        assertEquals(1_000_000_000L, p.prompts());
        assertEquals("v0 v0 v7", p.row(7).prompt());
        assertEquals("v999 v999 v999", p.row(999_999_999L).prompt());
        assertEquals("v123 v456 v789", p.row(123_456_789L).prompt());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 5, "parsed and decoded in " + seconds + " s");
    }

    @Test
    void adaptersComeFromTheSweepOverTheTemplateOverTheDefaultsAndTheSweepsAreInTheIds() {
        DatasetPlan p = plan(dir, """
            {"seed": 1,
             "templates": [{"id": "styled", "prompt": "a cat", "loras": [{"name": "style.safetensors", "scale": 0.8}]},
                           {"id": "plain", "prompt": "a dog"}],
             "sweep": {"textual_inversions": [[], ["emb.safetensors:<tok>"]]},
             "defaults": {"loras": ["base.safetensors"]}}""");
        assertEquals(4, p.combinations());
        List<PlanRow> rows = all(p);
        assertEquals(List.of("style.safetensors:0.8"), rows.get(0).loras());
        assertEquals(List.of(), rows.get(0).textualInversions());
        assertEquals(List.of("emb.safetensors:<tok>"), rows.get(1).textualInversions());
        assertEquals(List.of("base.safetensors"), rows.get(2).loras());
        Set<String> ids = new HashSet<>();
        rows.forEach(r -> ids.add(r.id()));
        assertEquals(4, ids.size(), "each sweep point is its own id");
        // a template's adapters are part of the template (its id), so changing them keeps the ids: the sweep's change
        DatasetPlan grown = plan(dir, """
            {"seed": 1,
             "templates": [{"id": "styled", "prompt": "a cat", "loras": [{"name": "style.safetensors", "scale": 0.8}]},
                           {"id": "plain", "prompt": "a dog"}],
             "sweep": {"textual_inversions": [[], ["emb.safetensors:<tok>"], ["other.safetensors"]]},
             "defaults": {"loras": ["base.safetensors"]}}""");
        Set<String> grownIds = new HashSet<>();
        all(grown).forEach(r -> grownIds.add(r.id()));
        assertTrue(grownIds.containsAll(ids), "growing the sweep keeps the earlier ids");
        assertEquals(6, grownIds.size());
    }
}

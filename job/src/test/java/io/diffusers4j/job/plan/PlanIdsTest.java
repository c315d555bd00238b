// Ids come from the template id, the chosen values and the sweep values: growing or reordering a plan keeps them.
package io.diffusers4j.job.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static io.diffusers4j.job.plan.PlanFixtures.all;
import static io.diffusers4j.job.plan.PlanFixtures.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanIdsTest {
    @TempDir
    Path dir;

    private static Map<String, PlanRow> byId(DatasetPlan p) {
        Map<String, PlanRow> m = new HashMap<>();
        for (PlanRow r : all(p)) {
            m.put(r.id(), r);
        }
        return m;
    }

    @Test
    void growingAndReorderingSlotListsKeepsEveryExistingIdAndSeed() {
        String template = "{\"seed\": 7, \"templates\": [{\"id\": \"t\", \"prompt\": \"{animal} at {time}, {a|b}\"}],"
                + " \"sweep\": {\"guidance_scale\": %s}, \"slots\": {\"animal\": %s, \"time\": [\"day\", \"night\"]}}";
        Map<String, PlanRow> before = byId(plan(dir, String.format(template, "[5, 7.5]", "[\"cat\", \"dog\"]")));
        Map<String, PlanRow> after = byId(plan(dir, String.format(template, "[7.5, 5.0, 9]",
                "[\"owl\", \"dog\", \"cat\", \"eel\"]")));
        assertEquals(2 * 2 * 2 * 2, before.size());
        assertEquals(4 * 2 * 2 * 3, after.size());
        for (Map.Entry<String, PlanRow> e : before.entrySet()) {
            PlanRow now = after.get(e.getKey());
            assertTrue(now != null, "id " + e.getKey() + " of " + e.getValue().prompt() + " is kept");
            assertEquals(e.getValue().prompt(), now.prompt());
            assertEquals(e.getValue().guidanceScale(), now.guidanceScale());
            assertEquals(e.getValue().seed(), now.seed());
        }
        Set<String> added = new HashSet<>(after.keySet());
        added.removeAll(before.keySet());
        assertEquals(48 - 16, added.size(), "only the new combinations are new ids");
    }

    @Test
    void theSameValuesInAnotherTemplateOrWithAnotherSweepValueAreAnotherId() {
        DatasetPlan p = plan(dir, """
            {"templates": [{"id": "a", "prompt": "{x}"}, {"id": "b", "prompt": "{x}"}],
             "slots": {"x": ["same"]}, "sweep": {"num_inference_steps": [1, 2]}}""");
        Set<String> ids = new HashSet<>();
        all(p).forEach(r -> ids.add(r.id()));
        assertEquals(4, ids.size());
    }

    @Test
    void thePlanSeedChangesSeedsNotIds() {
        PlanRow a = plan(dir, "{\"seed\": 1, \"templates\": [{\"id\": \"t\", \"prompt\": \"p\"}]}").row(0);
        PlanRow b = plan(dir, "{\"seed\": 2, \"templates\": [{\"id\": \"t\", \"prompt\": \"p\"}]}").row(0);
        assertEquals(a.id(), b.id());
        assertNotEquals(a.seed(), b.seed());
    }
}

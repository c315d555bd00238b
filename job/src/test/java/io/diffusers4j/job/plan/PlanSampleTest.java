// Sample mode: seeded, weighted by template and value weights, without repeats while combinations remain.
package io.diffusers4j.job.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.diffusers4j.job.plan.PlanFixtures.all;
import static io.diffusers4j.job.plan.PlanFixtures.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanSampleTest {
    @TempDir
    Path dir;

    private static String values(String prefix, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(prefix).append(i).append('"');
        }
        return sb.append(']').toString();
    }

    private String weighted(long seed, int count, int ny, int nz) {
        return "{\"seed\": " + seed + ", \"mode\": \"sample\", \"count\": " + count + ", \"templates\": ["
                + "{\"id\": \"heavy\", \"prompt\": \"h {x} {y} {z}\", \"weight\": 9},"
                + "{\"id\": \"light\", \"prompt\": \"l {x} {y} {z}\"}],"
                + "\"slots\": {\"x\": [{\"value\": \"a\", \"weight\": 3}, \"b\"], \"y\": " + values("y", ny)
                + ", \"z\": " + values("z", nz) + "}}";
    }

    @Test
    void drawsAreSeededDistinctAndFollowTemplateAndValueWeights() {
        DatasetPlan p = plan(dir, weighted(42, 2000, 20000, 1)); // 80000 combinations: the exact sampler
        List<PlanRow> rows = all(p);
        assertEquals(2000, rows.size());
        assertEquals(2000, new HashSet<>(rows.stream().map(PlanRow::id).toList()).size(), "no repeats");
        long heavy = rows.stream().filter(r -> r.templateId().equals("heavy")).count();
        long a = rows.stream().filter(r -> r.slots().get("x").equals("a")).count();
        assertTrue(Math.abs(heavy / 2000.0 - 0.9) < 0.04, "heavy share " + heavy / 2000.0);
        assertTrue(Math.abs(a / 2000.0 - 0.75) < 0.05, "value a share " + a / 2000.0);
        assertEquals(rows, all(plan(dir, weighted(42, 2000, 20000, 1))), "the same seed draws the same prompts");
        assertNotEquals(rows, all(plan(dir, weighted(43, 2000, 20000, 1))));
        PlanPreview preview = new PlanPreview(p, 3);
        assertEquals(heavy, preview.promptsPerTemplate().get("heavy"));
        assertEquals(rows.subList(0, 3), preview.rows());
    }

    @Test
    void largePlansAreSampledBySuccessiveDrawsWithTheSameWeights() {
        DatasetPlan p = plan(dir, weighted(5, 3000, 2000, 2000)); // 1.6 x 10^7 combinations: successive draws
        assertTrue(p.combinations() > PlanSampler.EXACT_LIMIT);
        List<PlanRow> rows = all(p);
        assertEquals(3000, new HashSet<>(rows.stream().map(PlanRow::id).toList()).size());
        long heavy = rows.stream().filter(r -> r.templateId().equals("heavy")).count();
        assertTrue(Math.abs(heavy / 3000.0 - 0.9) < 0.04, "heavy share " + heavy / 3000.0);
    }

    @Test
    void moreDrawsThanCombinationsUseEveryCombinationOncePerRoundWithIdsOfTheirOwn() {
        DatasetPlan p = plan(dir, """
            {"mode": "sample", "count": 7, "templates": [{"id": "t", "prompt": "{x}"}],
             "slots": {"x": ["a", "b", "c"]}}""");
        List<PlanRow> rows = all(p);
        assertEquals(Set.of("a", "b", "c"), new HashSet<>(rows.subList(0, 3).stream().map(PlanRow::prompt).toList()));
        assertEquals(Set.of("a", "b", "c"), new HashSet<>(rows.subList(3, 6).stream().map(PlanRow::prompt).toList()));
        assertEquals(7, new HashSet<>(rows.stream().map(PlanRow::id).toList()).size(), "every draw has its own id");
    }

    @Test
    void drawProbabilitiesSumToOne() {
        DatasetPlan p = plan(dir, weighted(1, 1, 5, 3));
        double sum = 0;
        for (long i = 0; i < p.combinations(); i++) {
            sum += Math.exp(p.logProbability(i));
        }
        assertEquals(1.0, sum, 1e-9);
    }
}

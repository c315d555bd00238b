// conf/plans/example.json, the README's plan: its counts and first prompts (it renders in JobPlanTest).
package io.diffusers4j.job.plan;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlanExampleTest {
    static final Path EXAMPLE = Path.of("..", "conf", "plans", "example.json");

    @Test
    void theExamplePlanCountsWhatTheReadmeSays() {
        DatasetPlan p = PlanFixtures.parse(EXAMPLE);
        // animals: 3 animals x 2 places x 3 lights x 2 guidance scales; styles: 2 styles x 3 animals x 2
        assertEquals(Map.of("animals", 36L, "styles", 12L), p.combinationsPerTemplate());
        assertEquals(48, p.images());
        PlanRow first = p.row(0);
        assertEquals("a photo of a cat in a forest, red light", first.prompt());
        assertEquals("blurry", first.negativePrompt());
        assertEquals(5.0, first.guidanceScale());
        assertEquals("a watercolor painting of a cat", p.row(36).prompt());
        assertEquals("lowres", p.row(36).negativePrompt());
    }
}

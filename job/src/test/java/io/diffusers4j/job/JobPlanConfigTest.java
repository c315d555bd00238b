// The plan flags as config keys: --plan or --prompts, --limit only with a plan, --export imagefolder DIR.
package io.diffusers4j.job;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobPlanConfigTest {
    private static JobConfig parse(String... args) {
        return JobCommand.parse(args).toConfig();
    }

    private static String refused(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> parse(args)).getMessage();
    }

    @Test
    void aPlanReplacesThePromptsAndTakesALimitAndAnExport() {
        JobConfig c = parse("--plan", "p.json", "--output", "o", "--limit", "8", "--export", "imagefolder", "png");
        assertEquals("p.json", c.plan());
        assertNull(c.prompts());
        assertEquals(8, c.limit());
        assertEquals("png", c.exportDir());
        assertTrue(c.datasetCard());
        JobConfig plain = parse("--prompts", "p.jsonl", "--output", "o");
        assertNull(plain.plan());
        assertEquals(0, plain.limit());
        assertNull(plain.exportDir());
    }

    @Test
    void badCombinationsAreRefusedOnOneLine() {
        assertEquals("give --prompts or --plan, not both", refused("--prompts", "p", "--plan", "q", "--output", "o"));
        assertEquals("--prompts is required", refused("--output", "o"));
        assertTrue(refused("--prompts", "p", "--output", "o", "--limit", "3").contains("give --plan"));
        assertEquals("limit must be >= 0 (0 = all), got -1", refused("--plan", "p", "--output", "o", "--limit", "-1"));
        assertTrue(refused("--plan", "p", "--output", "o", "--export", "tar", "d")
                .startsWith("--export takes a format and a folder: --export imagefolder DIR"));
    }
}

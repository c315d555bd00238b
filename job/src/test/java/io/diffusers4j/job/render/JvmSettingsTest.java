// What the job reports about huge pages: the kernel's selected transparent-huge-page mode.
package io.diffusers4j.job.render;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JvmSettingsTest {
    @Test
    void theKernelModeIsTheBracketedChoice() {
        assertEquals("madvise", JvmSettings.selectedMode("always [madvise] never\n"));
        assertEquals("always", JvmSettings.selectedMode("[always] madvise never"));
        assertEquals("never", JvmSettings.selectedMode("always madvise [never]\n"));
        assertEquals("unknown", JvmSettings.selectedMode("always madvise never"));
        assertEquals("unknown", JvmSettings.selectedMode("[] never"));
        assertEquals("unknown", JvmSettings.selectedMode("always [madvise"));
    }

    @Test
    void whatABuildLogsNamesTheSwitchOrTheKernelMode() {
        String said = JvmSettings.hugePagesInUse();
        assertTrue(said.matches("(on|off) \\((kernel: \\w+|THP_MEM_ALLOC_ENABLE( unset|=.*))\\)"), said);
        assertTrue(!said.startsWith("on") || "1".equals(System.getenv("THP_MEM_ALLOC_ENABLE").trim()), said);
    }
}

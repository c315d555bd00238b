// Base of the job tests that run on the fake renderer: a fresh temp folder and zeroed renderer counters per test.
package io.diffusers4j.job;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** {@link #dir} is a new temp folder for each test; {@link FakeRenderer}'s counters start at zero. */
abstract class FakeJobTest {
    @TempDir
    Path dir;

    @BeforeEach
    void resetFakeRenderer() {
        FakeRenderer.reset();
    }
}

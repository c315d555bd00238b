// User errors of the job are one clear line: --model checks on the driver, job failures by their root cause.
package io.diffusers4j.job;

import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobUserErrorsTest {

    @Test
    void modelThatIsNeitherAFolderNorAHubIdFailsOnTheDriverInLocalMode(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DriverModel.checkModel("/no/such/model", true));
        assertEquals("--model /no/such/model: no such folder, and not a Hub id (invalid Hub repo id "
                + "'/no/such/model': use 'name' or 'namespace/name')", e.getMessage());
        // on a cluster the executors may have a folder the driver lacks: a warning, not an error
        assertDoesNotThrow(() -> DriverModel.checkModel("/no/such/model", false));
        assertDoesNotThrow(() -> DriverModel.checkModel("runwayml/stable-diffusion-v1-5", true));

        Path empty = Files.createDirectory(dir.resolve("empty"));
        IllegalArgumentException noIndex = assertThrows(IllegalArgumentException.class,
                () -> DriverModel.checkModel(empty.toString(), false));
        assertTrue(noIndex.getMessage().contains("has no model_index.json"), noIndex.getMessage());
        Files.writeString(empty.resolve("model_index.json"), "{}");
        assertDoesNotThrow(() -> DriverModel.checkModel(empty.toString(), true));
    }

    @Test
    void aFailedJobIsReportedByItsRootCauseWithoutSparksRemoteStackTrace() {
        IllegalStateException root = new IllegalStateException("repo 'a/b' is not in the cache\n  second line");
        SparkException spark = new SparkException("Job aborted due to stage failure: Task 1 in stage 3.0 failed 1 "
                + "times, most recent failure: Lost task 1.0 (TID 3): org.apache.spark.SparkException: at x.y(Z.java)"
                + "\n\tat a.b.c", new RuntimeException("wrapper", root));
        String line = JobCommand.failureLine(spark);
        assertEquals("IllegalStateException: repo 'a/b' is not in the cache\n"
                + "  (SparkException: Job aborted due to stage failure: Task 1 in stage 3.0 failed 1 times)\n"
                + "  (DIFFUSERS4J_DEBUG=1 prints the stack trace)", line);
        assertFalse(line.contains("\tat "));
    }
}

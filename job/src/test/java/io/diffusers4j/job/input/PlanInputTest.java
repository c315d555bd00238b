// A plan row becomes the prompt fields a JSONL line would hold, so it goes through the same row validation.
package io.diffusers4j.job.input;

import io.diffusers4j.job.plan.PlanRow;
import io.diffusers4j.job.rows.JobDefaults;
import io.diffusers4j.job.rows.PromptRow;
import io.diffusers4j.job.rows.RowValidator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class PlanInputTest {
    private static PlanRow row(Integer steps, Integer maxSequenceLength) {
        return new PlanRow(3, "t-0123", "t", "a cat", null, Map.of("{1}", "cat"), steps, null, null, null, null,
                List.of(), null, maxSequenceLength, 42L, 2);
    }

    @Test
    void planParametersBecomeRowFieldsTheValidatorReads() {
        Map<String, Object> f = PlanInput.fields(row(4, 256));
        assertEquals(4L, f.get("num_inference_steps"));
        assertEquals(256L, f.get("max_sequence_length"));
        assertFalse(PlanInput.fields(row(null, null)).containsKey("max_sequence_length"), "unset: not given");
        PromptRow r = new RowValidator(JobDefaults.diffusers().withMaxSequenceLength(128))
                .validate(RawRecord.parsed("plan.json", 4, "{}", f));
        assertNull(r.error());
        assertEquals(256, r.maxSequenceLength(), "the plan's value wins over the job default");
        assertEquals(2, r.numImagesPerPrompt());
    }
}

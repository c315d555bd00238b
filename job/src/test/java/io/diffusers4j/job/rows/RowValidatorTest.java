// Validation rules and defaulting of single records (no Spark).
package io.diffusers4j.job.rows;

import io.diffusers4j.job.input.RawRecord;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowValidatorTest {
    private final RowValidator validator = new RowValidator(JobDefaults.diffusers().withJobSeed(5));

    private PromptRow validate(Object... kv) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            fields.put((String) kv[i], kv[i + 1]);
        }
        return validator.validate(RawRecord.parsed("f.jsonl", 9, "raw text", fields));
    }

    @Test
    void defaultsFillWhatTheRowLeavesOut() {
        PromptRow r = validate("prompt", "a cat");
        assertNull(r.error());
        assertNull(r.numInferenceSteps(), "the pipeline's own, resolved on the executor");
        assertNull(r.guidanceScale(), "the pipeline's own, resolved on the executor");
        assertNull(r.width());
        assertNull(r.negativePrompt());
        assertEquals(1, r.numImagesPerPrompt());
        assertEquals(SeedDeriver.deriveId("f.jsonl", 9, "raw text"), r.id());
        assertEquals(SeedDeriver.deriveSeed(5, r.id()), r.seed());
        assertEquals("f.jsonl:9", r.location());
    }

    @Test
    void jobDefaultsApplyToEveryRowWithoutTheField() {
        PromptRow r = new RowValidator(JobDefaults.diffusers().withSteps(7)).validate(RawRecord.parsed("f.jsonl", 1,
                "raw", Map.of("prompt", "p")));
        assertEquals(7, r.numInferenceSteps());
        assertNull(r.guidanceScale());
    }

    @Test
    void secondPromptsAndCustomSchedulesAreRead() {
        PromptRow r = validate("prompt", "p", "prompt_2", "q", "negative_prompt_2", "n", "timesteps", "999, 500,1",
                "num_inference_steps", 50L);
        assertNull(r.error());
        assertEquals("q", r.prompt2());
        assertEquals("n", r.negativePrompt2());
        assertEquals(List.of(999.0, 500.0, 1.0), r.schedule().timesteps());
        assertEquals(3, r.numInferenceSteps(), "a custom schedule replaces num_inference_steps, as in diffusers");
        PromptRow s = validate("prompt", "p", "sigmas", List.of(14L, 2.5, 0L));
        assertEquals(List.of(14.0, 2.5, 0.0), s.schedule().sigmas());
        assertEquals(2, s.numInferenceSteps(), "the last sigma is the final one");
    }

    @Test
    void badCustomSchedulesAreErrors() {
        assertEquals("timesteps \"9, x\" holds \" x\", not a finite number",
                validate("prompt", "p", "timesteps", "9, x").error());
        assertEquals("timesteps and sigmas are both given: a custom schedule is one or the other",
                validate("prompt", "p", "timesteps", List.of(9L), "sigmas", List.of(1L, 0L)).error());
        assertEquals("timesteps is empty", validate("prompt", "p", "timesteps", List.of()).error());
        assertEquals("sigmas [3.0] needs at least 2 values (the last one is the final sigma)",
                validate("prompt", "p", "sigmas", "3").error());
        assertEquals("sigmas true is not a list of numbers", validate("prompt", "p", "sigmas", true).error()
                .replace("boolean ", ""));
        assertEquals("prompt_2 5 is not text", validate("prompt", "p", "prompt_2", 5L).error());
    }

    @Test
    void textNumbersFromCsvAreParsed() {
        PromptRow r = validate("prompt", "p", "seed", "42", "num_inference_steps", " 3 ", "guidance_scale", "1.5e0",
                "width", "64", "num_images_per_prompt", "+2", "id", "x");
        assertNull(r.error());
        assertEquals(42L, r.seed());
        assertEquals(3, r.numInferenceSteps());
        assertEquals(1.5, r.guidanceScale());
        assertEquals(64, r.width());
        assertEquals(2, r.numImagesPerPrompt());
    }

    @Test
    void integralDoublesAreIntegersAndIntegerIdsAreText() {
        PromptRow r = validate("prompt", "p", "num_inference_steps", 20.0, "id", 17L);
        assertNull(r.error());
        assertEquals(20, r.numInferenceSteps());
        assertEquals("17", r.id());
    }

    @Test
    void anEmptyPromptIsAPromptAMissingOneIsNot() {
        // diffusers renders prompt="" (the unconditional embedding: prompt-free baselines)
        PromptRow empty = validate("prompt", "", "seed", 1L);
        assertNull(empty.error(), "before: prompt is empty");
        assertEquals("", empty.prompt());
        assertNull(validate("prompt", "   ").error());
        assertEquals("missing required field \"prompt\"", validate("negative_prompt", "").error());
        assertEquals("prompt boolean false is not text", validate("prompt", false).error());
    }

    @Test
    void aPipelineWithoutAPromptTakesRowsWithoutOne() {
        RowValidator unconditional = new RowValidator(JobDefaults.diffusers().withJobSeed(5), false);
        PromptRow row = unconditional.validate(RawRecord.parsed("f.jsonl", 3, "{\"id\": \"a\"}",
                Map.of("id", "a")));
        assertNull(row.error());
        assertNull(row.prompt());
        assertEquals(SeedDeriver.deriveSeed(5, "a"), (long) row.seed(), "the seed is still derived from the id");
        assertEquals("prompt 5 is not text", unconditional.validate(RawRecord.parsed("f.jsonl", 4, "raw",
                Map.of("prompt", 5L))).error(), "a prompt that is given is still checked");
        assertEquals(4.5, unconditional.validate(RawRecord.parsed("f.jsonl", 5, "raw",
                Map.of("audio_length_in_s", "4.5"))).audioLengthInS());
        assertEquals("audio_length_in_s 0.0 is not in (0, 600.0] seconds", unconditional.validate(
                RawRecord.parsed("f.jsonl", 6, "raw", Map.of("audio_length_in_s", 0L))).error());
        assertEquals("audio_length_in_s 1000000.0 is not in (0, 600.0] seconds", unconditional.validate(
                RawRecord.parsed("f.jsonl", 7, "raw", Map.of("audio_length_in_s", 1e6))).error());
    }

    @Test
    void eachProblemIsReportedQuotingTheValue() {
        assertEquals("missing required field \"prompt\"", validate("seed", 1L).error());
        assertEquals("prompt 5 is not text", validate("prompt", 5L).error());
        assertEquals("seed \"1.5\" is not an integer", validate("prompt", "p", "seed", "1.5").error());
        assertEquals("seed 1.0E20 is out of the 64-bit range", validate("prompt", "p", "seed", 1e20).error());
        assertEquals("seed \"99999999999999999999\" is out of the 64-bit range",
                validate("prompt", "p", "seed", "99999999999999999999").error());
        assertEquals("num_inference_steps 1001 exceeds max-steps 1000",
                validate("prompt", "p", "num_inference_steps", 1001L).error());
        assertEquals("height 2056 exceeds max-size 2048", validate("prompt", "p", "height", 2056L).error());
        assertEquals("guidance_scale \"-Infinity\" is not finite",
                validate("prompt", "p", "guidance_scale", "-Infinity").error());
        // finite as a double but infinite in the pipeline's float32 (it would turn the image into NaN)
        assertEquals("guidance_scale 1.0E300 is outside the float32 range",
                validate("prompt", "p", "guidance_scale", 1e300).error());
        assertEquals("guidance_scale \"-4e38\" is outside the float32 range",
                validate("prompt", "p", "guidance_scale", "-4e38").error());
        assertNull(validate("prompt", "p", "guidance_scale", 3e38).error());
        assertEquals("num_images_per_prompt 65 exceeds max-images-per-prompt 64",
                validate("prompt", "p", "num_images_per_prompt", 65L).error());
        assertEquals("negative_prompt boolean true is not text",
                validate("prompt", "p", "negative_prompt", true).error());
        assertEquals("scheduler is empty", validate("prompt", "p", "scheduler", " ").error());
        String unknown = validate("prompt", "p", "scheduler", "Euler b").error();
        assertTrue(unknown != null && unknown.contains("Euler b"), unknown);
        assertNull(validate("prompt", "p", "scheduler", "DPM++ 2M Karras").error());
        assertNull(validate("prompt", "p", "scheduler", "EulerDiscreteScheduler").error());
        assertEquals("id is blank", validate("prompt", "p", "id", "").error());
        assertEquals("seed 9223372036854775807 + num_images_per_prompt 2 overflows a 64-bit seed",
                validate("prompt", "p", "seed", Long.MAX_VALUE, "num_images_per_prompt", 2L).error());
    }

    /** A row's scheduler name in the checkpoint's family, as the driver read it (null: checked without one). */
    @Test
    void schedulerNamesAreResolvedInTheCheckpointsFamily() {
        Map<String, Object> dpm = Map.of("prompt", "p", "scheduler", "DPM++ 2M");
        Map<String, Object> flow = Map.of("prompt", "p", "scheduler", "FlowMatchEulerDiscreteScheduler");
        Map<String, Object> euler = Map.of("prompt", "p", "scheduler", "Euler");
        RowValidator onFlow = new RowValidator(JobDefaults.diffusers(), true, true);
        RowValidator onOther = new RowValidator(JobDefaults.diffusers(), true, false);
        RowValidator unknown = new RowValidator(JobDefaults.diffusers(), true, null);
        String refused = onFlow.validate(RawRecord.parsed("f.jsonl", 1, "raw", dpm)).error();
        assertTrue(refused.startsWith("scheduler 'DPM++ 2M' is not supported on this flow-matching checkpoint: "
                + "DPMSolverMultistepScheduler is not a flow-matching scheduler"), refused);
        assertNull(onFlow.validate(RawRecord.parsed("f.jsonl", 2, "raw", euler)).error());
        assertNull(onFlow.validate(RawRecord.parsed("f.jsonl", 3, "raw", flow)).error());
        String flowOnOther = onOther.validate(RawRecord.parsed("f.jsonl", 4, "raw", flow)).error();
        assertTrue(flowOnOther.contains("FlowMatchEulerDiscreteScheduler is a flow-matching scheduler"), flowOnOther);
        assertNull(onOther.validate(RawRecord.parsed("f.jsonl", 5, "raw", dpm)).error());
        assertNull(unknown.validate(RawRecord.parsed("f.jsonl", 6, "raw", dpm)).error());
        assertNull(unknown.validate(RawRecord.parsed("f.jsonl", 7, "raw", flow)).error());
    }

    @Test
    void malformedRecordsKeepTheirRawTextAndGetAnId() {
        PromptRow r = validator.validate(RawRecord.malformed("f.csv", 4, "a,\"b", "CSV: unterminated"));
        assertEquals("malformed CSV: unterminated", r.error());
        assertEquals("a,\"b", r.raw());
        assertEquals(SeedDeriver.deriveId("f.csv", 4, "a,\"b"), r.id());
    }

    @Test
    void unknownFieldsAreIgnored() {
        assertNull(validate("prompt", "p", "tag", "whatever", "nested", new RawRecord.NonScalar("a JSON object"))
                .error());
    }

    @Test
    void jobDefaultsAreCheckedToo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobDefaults.diffusers().withSteps(0));
        assertTrue(e.getMessage().contains("num-inference-steps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JobDefaults.diffusers().withSize(0, 64));
        JobDefaults d = JobDefaults.diffusers();
        e = assertThrows(IllegalArgumentException.class, () -> new JobDefaults(null, 50, 1e39, null, null, 1, 0L,
                2048, 1000, 64, null));
        assertTrue(e.getMessage().contains("guidance-scale") && e.getMessage().contains("1.0E39"), e.getMessage());
        assertNull(d.guidanceScale(), "the pipeline's own");
        assertNull(d.maxSequenceLength(), "the pipeline's own");
        for (int bad : new int[] {0, 513}) {
            e = assertThrows(IllegalArgumentException.class, () -> JobDefaults.diffusers().withMaxSequenceLength(bad));
            assertEquals("default max-sequence-length must be in [1, 512], got " + bad, e.getMessage());
        }
    }

    @Test
    void thirdPromptsAndMaxSequenceLengthAreRead() {
        PromptRow r = validate("prompt", "p", "prompt_3", "t5 text", "negative_prompt_3", "n3",
                "max_sequence_length", 77L);
        assertNull(r.error());
        assertEquals("t5 text", r.prompt3());
        assertEquals("n3", r.negativePrompt3());
        assertEquals(77, r.maxSequenceLength());
        assertEquals(512, validate("prompt", "p", "max_sequence_length", "512").maxSequenceLength(), "CSV text");
        assertEquals(1, validate("prompt", "p", "max_sequence_length", 1.0).maxSequenceLength(), "Parquet double");
        assertNull(validate("prompt", "p").maxSequenceLength(), "the pipeline's own, resolved on the executor");
    }

    @Test
    void badMaxSequenceLengthMakesAnErrorRow() {
        assertEquals("max_sequence_length 0 is below 1", validate("prompt", "p", "max_sequence_length", 0L).error());
        assertEquals("max_sequence_length 513 exceeds the T5 limit 512",
                validate("prompt", "p", "max_sequence_length", 513L).error());
        assertEquals("max_sequence_length 77.5 is not an integer",
                validate("prompt", "p", "max_sequence_length", 77.5).error());
        assertEquals("max_sequence_length \"long\" is not an integer",
                validate("prompt", "p", "max_sequence_length", "long").error());
        assertEquals("max_sequence_length \"99999999999999999999\" is out of the 64-bit range",
                validate("prompt", "p", "max_sequence_length", "99999999999999999999").error());
        assertEquals("prompt_3 boolean true is not text", validate("prompt", "p", "prompt_3", true).error());
        PromptRow r = validate("prompt", "p", "max_sequence_length", 4096L);
        assertNull(r.maxSequenceLength(), "a refused value is not carried");
        assertEquals(List.of(), WorkSchema.expand(r).stream().filter(w -> !"error".equals(w.getString(
                WorkSchema.STATUS))).toList(), "an error row, not an image");
    }

    @Test
    void theJobWideMaxSequenceLengthReachesRowsWithoutOne() {
        RowValidator v = new RowValidator(JobDefaults.diffusers().withMaxSequenceLength(128));
        assertEquals(128, v.validate(RawRecord.parsed("f.jsonl", 1, "raw", Map.of("prompt", "p")))
                .maxSequenceLength());
        assertEquals(77, v.validate(RawRecord.parsed("f.jsonl", 2, "raw", Map.of("prompt", "p",
                "max_sequence_length", 77L))).maxSequenceLength(), "the row's own value wins");
        Row work = WorkSchema.expand(v.validate(RawRecord.parsed("f.jsonl", 3, "raw",
                Map.of("prompt", "p", "prompt_3", "t")))).get(0);
        assertEquals(128, work.getInt(WorkSchema.MAX_SEQUENCE_LENGTH), "the work row carries it to the renderer");
        assertEquals("t", work.getString(WorkSchema.PROMPT_3));
    }
}

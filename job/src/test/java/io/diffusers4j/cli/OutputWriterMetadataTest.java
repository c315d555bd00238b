// What `generate` writes into each PNG's text: SDXL's second prompts per prompt and a custom schedule.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.TinyPipeline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class OutputWriterMetadataTest {
    private static DiffusionPipeline pipe;

    @BeforeAll
    static void load() {
        pipe = DiffusionPipeline.fromPretrained(TinyPipeline.defaultModel().toString(), new PipelineOptions());
    }

    @AfterAll
    static void close() {
        pipe.close();
    }

    /** The metadata of a generate command line, resolved with the embedded pipeline's defaults. */
    private static GenerateMetadata metadata(List<Long> seeds, String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        PipelineCall resolved = pipe.withDefaults(command.toCall(seeds));
        return new GenerateMetadata(resolved, new int[] {64, 64}, seeds, "EulerDiscreteScheduler", "unused", null,
                List.of(), pipe.className());
    }

    @Test
    void secondPromptsFollowTheirPromptAndTheScheduleIsRecorded() {
        GenerateMetadata m = metadata(List.of(1L, 2L), "--prompt", "a cat", "--prompt", "a dog", "--prompt-2",
                "oil painting", "--negative-prompt-2", "blurry", "--negative-prompt-2", "dark", "--timesteps",
                "999,500.5", "--output", "unused");
        Map<String, String> first = m.forImage(0, 2).extra();
        Map<String, String> second = m.forImage(1, 2).extra();
        assertEquals("oil painting", first.get("prompt_2"));
        assertEquals("oil painting", second.get("prompt_2"), "one --prompt-2 for all prompts");
        assertEquals("blurry", first.get("negative_prompt_2"));
        assertEquals("dark", second.get("negative_prompt_2"), "one --negative-prompt-2 per prompt");
        assertEquals("999,500.5", first.get("timesteps"));
        assertEquals(2, m.forImage(0, 2).steps(), "the custom schedule's length");
        assertEquals(2L, m.forImage(1, 2).seed(), "one seed per image: that image's generator");
    }

    @Test
    void nothingExtraWithoutThem() {
        GenerationMetadata m = metadata(List.of(7L), "--prompt", "a cat", "--sigmas", "14.6,1,0.03", "--output",
                "unused").forImage(0, 1);
        assertEquals("14.6,1,0.03", m.extra().get("sigmas"));
        assertFalse(m.extra().containsKey("prompt_2"));
        assertFalse(m.extra().containsKey("timesteps"));
        assertFalse(m.extra().containsKey("batch_index"), "one image, one seed");
        assertEquals(7L, m.seed());
        assertEquals(7.5, m.guidanceScale(), "the pipeline's default, as run");
    }
}

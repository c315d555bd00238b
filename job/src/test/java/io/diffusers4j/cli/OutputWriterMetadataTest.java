// What `generate` writes into each PNG's text: SDXL's second prompts per prompt and a custom schedule.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class OutputWriterMetadataTest {
    private static GenerateRequest request(String... args) {
        return GenerateRequest.from(CliArgs.parse("generate", args, Set.of("model", "prompt", "negative-prompt",
                "prompt-2", "negative-prompt-2", "seed", "timesteps", "sigmas", "output"), Set.of()));
    }

    @Test
    void secondPromptsFollowTheirPromptAndTheScheduleIsRecorded() {
        GenerateRequest req = request("--model", "unused", "--prompt", "a cat", "--prompt", "a dog", "--prompt-2",
                "oil painting", "--negative-prompt-2", "blurry", "--negative-prompt-2", "dark", "--seed", "1",
                "--seed", "2", "--timesteps", "999,500.5", "--output", "unused").withPipelineDefaults(50, 5.0, 0.8);
        Map<String, String> first = OutputWriter.metadata(req, "EulerDiscreteScheduler", 0, 2, 64, 64).extra();
        Map<String, String> second = OutputWriter.metadata(req, "EulerDiscreteScheduler", 1, 2, 64, 64).extra();
        assertEquals("oil painting", first.get("prompt_2"));
        assertEquals("oil painting", second.get("prompt_2"), "one --prompt-2 for all prompts");
        assertEquals("blurry", first.get("negative_prompt_2"));
        assertEquals("dark", second.get("negative_prompt_2"), "one --negative-prompt-2 per prompt");
        assertEquals("999,500.5", first.get("timesteps"));
        assertEquals(2, OutputWriter.metadata(req, "X", 0, 2, 64, 64).steps(), "the custom schedule's length");
    }

    @Test
    void nothingExtraWithoutThem() {
        GenerationMetadata m = OutputWriter.metadata(request("--model", "unused", "--prompt", "a cat", "--sigmas",
                "14.6,1,0.03", "--output", "unused").withPipelineDefaults(50, 7.5, 0.8), "X", 0, 1, 64, 64);
        assertEquals("14.6,1,0.03", m.extra().get("sigmas"));
        assertFalse(m.extra().containsKey("prompt_2"));
        assertFalse(m.extra().containsKey("timesteps"));
    }
}

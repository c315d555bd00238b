// The web UI's "Sampler" (and "Schedule type") that a PNG's parameters text gets for each way of naming a scheduler.
package io.diffusers4j.image;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GenerationMetadataSamplerTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            PNDMScheduler               | Sampler: PLMS
            DPMSolverMultistepScheduler | Sampler: DPM++ 2M
            EulerAncestralDiscreteScheduler | Sampler: Euler a
            KDPM2DiscreteScheduler      | Sampler: DPM2
            DDPMScheduler               | Sampler: DDPMScheduler
            MyOwnScheduler              | Sampler: MyOwnScheduler
            DPM++ 2M Karras             | Sampler: DPM++ 2M Karras
            dpm++ 2m sde karras         | Sampler: DPM++ 2M SDE Karras
            dpmpp_2m karras             | Sampler: DPM++ 2M Karras
            euler_ancestral             | Sampler: Euler a
            euler karras                | Sampler: Euler, Schedule type: Karras
            uni_pc_bh2 sgm_uniform      | Sampler: UniPC, Schedule type: SGM Uniform
            DPM2                        | Sampler: DPM2
            """)
    void parametersNameTheWebUiSampler(String scheduler, String expected) {
        GenerationMetadata metadata = new GenerationMetadata().prompt("p").steps(4).scheduler(scheduler).seed(1L);
        assertEquals("p\nSteps: 4, " + expected + ", Seed: 1", metadata.a1111Parameters());
        assertEquals(scheduler, metadata.toPngText().get(GenerationMetadata.SCHEDULER), "the name as given is kept");
    }
}

// diffusers.pipelines.ddpm.pipeline_ddpm.DDPMPipeline (unconditional image generation, Ho et al. 2020).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerOutput;

import java.util.Map;
import java.util.Set;

/**
 * diffusers' {@code DDPMPipeline.__call__(batch_size, generator, num_inference_steps=1000, output_type)}: noise of
 * the UNet's sample size, then {@code scheduler.step(model_output, t, image, generator=generator)} per timestep
 * (a DDPMScheduler draws its noise from the call's generators).
 */
public class DDPMPipeline extends UnconditionalImagePipeline {
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("DDPMPipeline", "ddpm",
            PipelineTask.UNCONDITIONAL_IMAGE, unconditional(), Set.of(),
            (components, config, owns) -> new DDPMPipeline(components, owns));

    public DDPMPipeline(Map<String, Object> components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    /** A pipeline over shared components (diffusers' {@code DDPMPipeline(**pipe.components)}). */
    public DDPMPipeline(Map<String, Object> components) {
        this(components, false);
    }

    @Override
    protected int defaultNumInferenceSteps() {
        return 1000;
    }

    @Override
    protected SchedulerOutput step(Scheduler s, NDArray modelOutput, double t, NDArray sample, PipelineCall args) {
        return s.step(modelOutput, t, sample, 0.0, args.generators());
    }
}

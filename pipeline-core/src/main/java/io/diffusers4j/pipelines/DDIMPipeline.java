// diffusers.pipelines.ddim.pipeline_ddim.DDIMPipeline (unconditional image generation, Song et al. 2020).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.schedulers.DDIMScheduler;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerOutput;
import io.diffusers4j.schedulers.Schedulers;

import java.util.Map;
import java.util.Set;

/**
 * diffusers' {@code DDIMPipeline.__call__(batch_size, generator, eta=0.0, num_inference_steps=50,
 * use_clipped_model_output, output_type)}. As diffusers' constructor does ("make sure scheduler can always be
 * converted to DDIM"), any scheduler it is given, at construction, by {@link #setScheduler} or for one call, runs as
 * {@code DDIMScheduler.from_config(scheduler.config)}.
 */
public class DDIMPipeline extends UnconditionalImagePipeline {
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("DDIMPipeline", "ddim",
            PipelineTask.UNCONDITIONAL_IMAGE, unconditional(CallArgument.ETA, CallArgument.USE_CLIPPED_MODEL_OUTPUT),
            Set.of(), (components, config, owns) -> new DDIMPipeline(components,
            owns));

    public DDIMPipeline(Map<String, Object> components, boolean ownsComponents) {
        super(components, ownsComponents);
    }

    /** A pipeline over shared components (diffusers' {@code DDIMPipeline(**pipe.components)}). */
    public DDIMPipeline(Map<String, Object> components) {
        this(components, false);
    }

    @Override
    protected int defaultNumInferenceSteps() {
        return 50;
    }

    /** {@code DDIMScheduler.from_config(scheduler.config)} (a DDIMScheduler is kept as it is). */
    @Override
    protected Scheduler adopt(Scheduler given) {
        return given instanceof DDIMScheduler ? given : Schedulers.fromConfig(DDIMScheduler.class, given.config());
    }

    @Override
    protected SchedulerOutput step(Scheduler s, NDArray modelOutput, double t, NDArray sample, PipelineCall args) {
        boolean clipped = Boolean.TRUE.equals(args.useClippedModelOutput());
        return ((DDIMScheduler) s).step(modelOutput, t, sample, args.eta(), clipped, args.generators());
    }
}

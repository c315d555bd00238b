// Port of diffusers.pipelines.latent_consistency_models.pipeline_latent_consistency_text2img.LatentConsistencyModelPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.LCMScheduler;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerOutput;

import java.util.Map;

import static io.diffusers4j.pipelines.CallArgument.CLIP_SKIP;
import static io.diffusers4j.pipelines.CallArgument.CROSS_ATTENTION_KWARGS;
import static io.diffusers4j.pipelines.CallArgument.LATENTS;
import static io.diffusers4j.pipelines.CallArgument.ORIGINAL_INFERENCE_STEPS;
import static io.diffusers4j.pipelines.CallArgument.PROMPT;
import static io.diffusers4j.pipelines.CallArgument.SIZE;
import static io.diffusers4j.pipelines.CallArgument.TIMESTEPS;

/**
 * Text-to-image with a latent consistency model (an LCM-distilled Stable Diffusion UNet, e.g.
 * {@code SimianLuo/LCM_Dreamshaper_v7}), diffusers' {@code LatentConsistencyModelPipeline.__call__} step for step:
 * encode the prompt (no negative prompt, no classifier-free guidance batch), set the LCM timesteps (optionally from
 * another {@code original_inference_steps}), draw the initial noise, embed {@code w = guidance_scale - 1} as the
 * UNet's {@code timestep_cond}, run the shared denoising loop (LCMScheduler draws fresh noise after every step but
 * the last, from the call's generators), and decode the last step's {@code denoised}. Defaults: 4 steps, guidance
 * 8.5. Its {@code __call__} takes no negative prompt, eta, guidance_rescale, sigmas or image.
 *
 * <p>Needs a UNet with {@code time_cond_proj_dim} and an {@link LCMScheduler} (diffusers passes
 * {@code original_inference_steps} to {@code set_timesteps}, which other schedulers do not take).
 */
public class LatentConsistencyModelPipeline extends AbstractStableDiffusionPipeline {
    public static final int DEFAULT_NUM_INFERENCE_STEPS = 4;
    public static final double DEFAULT_GUIDANCE_SCALE = 8.5;
    /** diffusers' LCM check_inputs requires multiples of 8 whatever the VAE's factor. */
    private static final int SIZE_MULTIPLE = 8;
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("LatentConsistencyModelPipeline", "lcm",
            PipelineTask.TEXT_TO_IMAGE, CallArgument.setOf(PROMPT, SIZE, LATENTS, CLIP_SKIP, TIMESTEPS,
                    ORIGINAL_INFERENCE_STEPS, CROSS_ATTENTION_KWARGS),
            CallArgument.setOf(PROMPT),
            (components, config, owns) -> new LatentConsistencyModelPipeline(
                    StableDiffusionComponents.from(components), owns));

    public LatentConsistencyModelPipeline(StableDiffusionComponents components, boolean ownsComponents) {
        super(components, ownsComponents);
        if (unet.config().timeCondProjDim == null) {
            throw new IllegalArgumentException("LatentConsistencyModelPipeline needs an LCM-distilled UNet (config "
                    + "time_cond_proj_dim set), but the UNet's time_cond_proj_dim is null");
        }
    }

    /** A pipeline over shared components (diffusers' {@code LatentConsistencyModelPipeline(**pipe.components)}). */
    public LatentConsistencyModelPipeline(Map<String, Object> components) {
        this(StableDiffusionComponents.from(components), false);
    }

    @Override
    protected int defaultNumInferenceSteps() {
        return DEFAULT_NUM_INFERENCE_STEPS;
    }

    @Override
    protected double defaultGuidanceScale() {
        return DEFAULT_GUIDANCE_SCALE;
    }

    @Override
    protected int sizeMultiple() {
        return SIZE_MULTIPLE;
    }

    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        super.checkPipelineInputs(call);
        Scheduler used = call.scheduler() != null ? call.scheduler() : scheduler;
        if (!(used instanceof LCMScheduler)) {
            throw new IllegalArgumentException("LatentConsistencyModelPipeline needs an LCMScheduler (it passes "
                    + "original_inference_steps to set_timesteps), got " + used.className());
        }
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        int batch = args.batchSize();
        try (LCMScheduler lcm = (LCMScheduler) callScheduler(args);
             NDManager m = manager.newSubManager()) {
            NDArray promptEmbeds = encodePrompt(m, args, batch, false);
            if (args.timesteps() != null) {
                lcm.setCustomTimesteps(args.timesteps(), args.originalInferenceSteps());
            } else {
                lcm.setTimesteps(args.numInferenceSteps(), args.originalInferenceSteps());
            }
            double[] timesteps = lcm.timesteps();
            NDArray latents = prepareLatents(m, args, batch * args.numImagesPerPrompt(), unet.config().inChannels,
                    args.height(), args.width(), lcm);
            NDArray[] denoised = new NDArray[1];
            denoise(m, lcm, timesteps, latents, promptEmbeds, false, args, new LoopHooks() {
                @Override
                public void onStepOutput(int i, SchedulerOutput out) {
                    if (i == timesteps.length - 1) {
                        denoised[0] = out.predOriginalSample();
                        denoised[0].attach(m);
                    }
                }
            });
            return output(denoised[0], args.outputType());
        }
    }
}

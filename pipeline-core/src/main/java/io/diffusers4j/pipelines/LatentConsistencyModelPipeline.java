// Port of diffusers.pipelines.latent_consistency_models.pipeline_latent_consistency_text2img.LatentConsistencyModelPipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.schedulers.LCMScheduler;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerOutput;

import java.util.Map;

/**
 * Text-to-image with a latent consistency model (an LCM-distilled Stable Diffusion UNet, e.g.
 * {@code SimianLuo/LCM_Dreamshaper_v7}), diffusers' {@code LatentConsistencyModelPipeline.__call__} step for step:
 * encode the prompt (no negative prompt, no classifier-free guidance batch), set the LCM timesteps (optionally from
 * another {@code original_inference_steps}), draw the initial noise, embed {@code w = guidance_scale - 1} as the
 * UNet's {@code timestep_cond}, run the shared denoising loop (LCMScheduler draws fresh noise after every step but
 * the last, from the call's generators), and decode the last step's {@code denoised}.
 *
 * <p>Needs a UNet with {@code time_cond_proj_dim} and an {@link LCMScheduler} (diffusers passes
 * {@code original_inference_steps} to {@code set_timesteps}, which other schedulers do not take).
 */
public class LatentConsistencyModelPipeline extends AbstractStableDiffusionPipeline {
    /** diffusers' LCM check_inputs requires multiples of 8 whatever the VAE's factor. */
    private static final int SIZE_MULTIPLE = 8;

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

    /**
     * The generic call: the arguments LatentConsistencyModelPipeline's {@code __call__} takes are passed on (its
     * steps are the call's, 50 unless set: prefer {@link LatentConsistencyModelCall} for the LCM defaults); the ones
     * it does not take (negative prompt, eta, guidance rescale, image, mask, strength, sigmas) are refused as
     * Python refuses unknown keywords.
     */
    @Override
    public ImagePipelineOutput call(StableDiffusionCall a) {
        java.util.List<String> refused = new java.util.ArrayList<>();
        if (a.negativePrompt() != null || a.negativePromptEmbeds() != null) {
            refused.add("negative_prompt");
        }
        if (a.eta() != 0) {
            refused.add("eta");
        }
        if (a.guidanceRescale() != 0) {
            refused.add("guidance_rescale");
        }
        if (a.image() != null || a.maskImage() != null || a.strength() != null) {
            refused.add("image/mask_image/strength");
        }
        if (a.sigmas() != null) {
            refused.add("sigmas");
        }
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("LatentConsistencyModelPipeline does not take " + refused);
        }
        return call(new LatentConsistencyModelCall().prompt(a.prompt()).height(a.height()).width(a.width())
                .numInferenceSteps(a.numInferenceSteps()).timesteps(a.timesteps())
                .guidanceScale(guidanceScale(a)).numImagesPerPrompt(a.numImagesPerPrompt())
                .generators(a.generators()).latents(a.latents()).promptEmbeds(a.promptEmbeds())
                .outputType(a.outputType()).clipSkip(a.clipSkip()).scheduler(a.scheduler())
                .callbackOnStepEnd(a.callbackOnStepEnd()).progress(a.progress()));
    }

    @Override
    public double defaultGuidanceScale() {
        return LatentConsistencyModelCall.DEFAULT_GUIDANCE_SCALE;
    }

    /** {@code __call__}. */
    public ImagePipelineOutput call(LatentConsistencyModelCall call) {
        StableDiffusionCall a = call.toStableDiffusionCall();
        int height = a.height() != null ? a.height() : defaultHeight();
        int width = a.width() != null ? a.width() : defaultWidth();
        if (height % SIZE_MULTIPLE != 0 || width % SIZE_MULTIPLE != 0) {
            throw new IllegalArgumentException("`height` and `width` have to be divisible by 8 but are " + height
                    + " and " + width + ".");
        }
        checkInputs(a, height, width);
        int batch = batchSize(a);
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            if (!(s instanceof LCMScheduler lcm)) {
                throw new IllegalArgumentException("LatentConsistencyModelPipeline needs an LCMScheduler (it passes "
                        + "original_inference_steps to set_timesteps), got " + s.className());
            }
            NDArray promptEmbeds = encodePrompt(m, a, batch, false);
            if (call.timesteps() != null) {
                lcm.setCustomTimesteps(call.timesteps(), call.originalInferenceSteps());
            } else {
                lcm.setTimesteps(call.numInferenceSteps(), call.originalInferenceSteps());
            }
            double[] timesteps = lcm.timesteps();
            NDArray latents = prepareLatents(m, a, batch * a.numImagesPerPrompt(), unet.config().inChannels,
                    height, width, lcm);
            NDArray[] denoised = new NDArray[1];
            denoise(m, lcm, timesteps, latents, promptEmbeds, false, a, new LoopHooks() {
                @Override
                public void onStepOutput(int i, SchedulerOutput out) {
                    if (i == timesteps.length - 1) {
                        denoised[0] = out.predOriginalSample();
                        denoised[0].attach(m);
                    }
                }
            });
            return output(denoised[0], a.outputType());
        }
    }
}

// The end of every latent pipeline's __call__: output_type "latent" returns the latents, any other decodes them.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.image.VaeImageProcessor;
import io.diffusers4j.models.vae.VaeModel;

/**
 * What the Stable Diffusion (1.x / 2.x / XL, LCM) and flow-matching (Stable Diffusion 3, FLUX) pipelines return:
 * for {@code output_type="latent"} the final latents as float32 on the host, in the shape the pipeline keeps them
 * (NCHW; FLUX: packed); otherwise {@code vae.decode(z)} then {@code image_processor.postprocess}, float32 NHWC in
 * [0, 1].
 */
final class VaeOutput {
    private VaeOutput() {
    }

    /** {@code output_type="latent"}: the latents, cast to float32, with their shape. */
    static ImagePipelineOutput latents(NDArray latents) {
        NDArray out = latents.toType(DataType.FLOAT32, false);
        return new ImagePipelineOutput("latent", out.toFloatArray(), out.getShape().getShape());
    }

    /** The latents as the VAE decodes them: {@code latents / scaling_factor (+ shift_factor)}. */
    static NDArray unscale(VaeModel vae, NDArray latents) {
        NDArray z = latents.div((float) vae.scalingFactor());
        if (vae.shiftFactor() != null) {
            z = z.addi((float) (double) vae.shiftFactor());
        }
        return z;
    }

    /**
     * {@code vae.decode(z)} with {@code z} (already unscaled) cast to the VAE's dtype (a float32 {@code force_upcast}
     * VAE under a float16 pipeline decodes float32 latents, as diffusers' {@code upcast_vae}), then postprocessed by
     * {@code processor} to float32 NHWC in [0, 1].
     */
    static ImagePipelineOutput decode(VaeModel vae, VaeImageProcessor processor, NDArray z, String outputType) {
        NDArray nhwc = processor.postprocessNp(vae.decode(z.toType(vae.dtype(), false)));
        return new ImagePipelineOutput(outputType, nhwc.toFloatArray(), nhwc.getShape().getShape());
    }
}

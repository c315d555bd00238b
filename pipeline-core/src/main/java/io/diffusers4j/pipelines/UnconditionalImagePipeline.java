// What diffusers' DDPMPipeline and DDIMPipeline share: noise of the UNet's sample size, the loop, (x / 2 + 0.5).clamp.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.unet.UNet2DConfig;
import io.diffusers4j.models.unet.UNet2DModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.RandnTensor;

import java.util.Map;

/**
 * An unconditional image pipeline over a {@link UNet2DModel}: {@code batch_size} images of the UNet's
 * {@code sample_size} (an int, or height and width), drawn as noise with the call's generators, denoised over the
 * scheduler's timesteps, returned as {@code (image / 2 + 0.5).clamp(0, 1)} NHWC floats. There is no height or width
 * argument (as in diffusers): the size is the checkpoint's.
 */
public abstract class UnconditionalImagePipeline extends UnconditionalPipeline<UNet2DModel> {
    protected UnconditionalImagePipeline(Map<String, Object> components, boolean ownsComponents) {
        super(components, UNet2DModel.class, ownsComponents);
    }

    /** diffusers' default {@code num_inference_steps} of this class. */
    protected abstract int defaultNumInferenceSteps();

    /** The steps of this class, no guidance (1.0: there is none), the UNet's sample size. */
    @Override
    public PipelineDefaults defaults() {
        int[] size = unet.config().sampleHeightWidth();
        return new PipelineDefaults(defaultNumInferenceSteps(), 1.0, null, size == null ? null : size[0],
                size == null ? null : size[1], unet.config().sizeMultiple());
    }

    /** The UNet's {@code sample_size}: an int for both sides, or (height, width). */
    @Override
    public int[] outputSize(PipelineCall resolved) {
        int[] size = unet.config().sampleHeightWidth();
        if (size == null) {
            throw new IllegalArgumentException(className() + " needs the UNet config's sample_size (the size of "
                    + "the images it draws)");
        }
        return size;
    }

    /** The output type, and a sample size the UNet can run (multiples of 2^(blocks - 1)). */
    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        super.checkPipelineInputs(call);
        int[] size = outputSize(call);
        int multiple = unet.config().sizeMultiple();
        if (size[0] % multiple != 0 || size[1] % multiple != 0) {
            throw new IllegalArgumentException("the UNet config's sample_size " + size[0] + "x" + size[1]
                    + " is not a multiple of " + multiple + " (2 ** (len(block_out_channels) - 1))");
        }
    }

    /** {@code __call__}. */
    @Override
    public ImagePipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        int[] size = outputSize(args);
        UNet2DConfig config = unet.config();
        try (Scheduler s = callScheduler(args); NDManager m = manager.newSubManager()) {
            Shape shape = new Shape(args.batchSize(), config.inChannels, size[0], size[1]);
            NDArray image = RandnTensor.randnTensor(m, shape, args.generators(), unet.dtype());
            s.setTimesteps(args.numInferenceSteps());
            image = denoise(m, s, image, args);
            // (image / 2 + 0.5).clamp(0, 1), NHWC
            NDArray nhwc = image.toType(DataType.FLOAT32, false).div(2f).addi(0.5f).clip(0f, 1f)
                    .transpose(0, 2, 3, 1);
            return new ImagePipelineOutput(args.outputType(), nhwc.toFloatArray(), nhwc.getShape().getShape());
        }
    }

    @Override
    protected NDArray predict(NDArray sample, double t) {
        return unet.forward(sample, t);
    }
}

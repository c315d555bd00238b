// diffusers.pipelines.dance_diffusion.pipeline_dance_diffusion.DanceDiffusionPipeline (unconditional audio).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.unet.UNet1DConfig;
import io.diffusers4j.models.unet.UNet1DModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerOutput;
import io.diffusers4j.utils.RandnTensor;

import java.util.Map;
import java.util.Set;

/**
 * diffusers' {@code DanceDiffusionPipeline.__call__(batch_size, num_inference_steps=100, generator,
 * audio_length_in_s)} over a {@link UNet1DModel} (harmonai/maestro-150k and the like, with an IPNDMScheduler):
 * {@code audio_length_in_s * sample_rate} samples per channel (default: the UNet's {@code sample_size}), rounded up
 * to a multiple of {@code 2 ** len(up_blocks)} for the model and cut back afterwards, denoised from noise, clamped to
 * [-1, 1]. Returns an {@link AudioPipelineOutput} with the UNet config's {@code sample_rate}.
 *
 * <p>As in diffusers, the scheduler steps without a generator (IPNDM draws no noise); output types "pil" and "np"
 * both give the float audio (diffusers' {@code __call__} has no output_type).
 */
public class DanceDiffusionPipeline extends UnconditionalPipeline<UNet1DModel> {
    static final PipelineRegistry.Entry TYPE = new PipelineRegistry.Entry("DanceDiffusionPipeline",
            "dance-diffusion", PipelineTask.AUDIO, unconditional(CallArgument.AUDIO_LENGTH_IN_S), Set.of(),
            (components, config, owns) -> new DanceDiffusionPipeline(components, owns));

    /** Java arrays hold the output: batch * channels * samples must stay below this. */
    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    public DanceDiffusionPipeline(Map<String, Object> components, boolean ownsComponents) {
        super(components, UNet1DModel.class, ownsComponents);
    }

    /** A pipeline over shared components (diffusers' {@code DanceDiffusionPipeline(**pipe.components)}). */
    public DanceDiffusionPipeline(Map<String, Object> components) {
        this(components, false);
    }

    /** The UNet config's {@code sample_rate}; an error when it has none. */
    public int sampleRate() {
        Integer rate = unet.config().sampleRate;
        if (rate == null) {
            throw new IllegalArgumentException("the UNet config has no sample_rate: DanceDiffusionPipeline needs it "
                    + "(audio_length_in_s * sample_rate samples)");
        }
        return rate;
    }

    /** 100 steps; no guidance (1.0: there is none); no image size. */
    @Override
    public PipelineDefaults defaults() {
        return new PipelineDefaults(100, 1.0, null, null, null, 1);
    }

    /** diffusers' defaults, and {@code audio_length_in_s = sample_size / sample_rate} when the call sets none. */
    @Override
    public PipelineCall withDefaults(PipelineCall call) {
        PipelineCall resolved = super.withDefaults(call);
        UNet1DConfig config = unet.config();
        if (resolved.audioLengthInS() == null && config.sampleRate != null) {
            resolved.audioLengthInS((double) config.sampleSize / config.sampleRate);
        }
        return resolved;
    }

    /** For audio: {@code {channels, samples}} per item, the samples after the cut back to the asked length. */
    @Override
    public int[] outputSize(PipelineCall resolved) {
        return new int[] {unet.config().outChannels, (int) Math.min(Integer.MAX_VALUE, lengths(resolved)[0])};
    }

    /** One item's array: {@code [channels, samples]} (there are no latents). */
    @Override
    public long[] outputShape(PipelineCall resolved, String outputType) {
        if (outputType.equals("latent")) {
            return null;
        }
        int[] size = outputSize(resolved);
        return new long[] {size[0], size[1]};
    }

    /**
     * {@code (original_sample_size, sample_size)}: {@code int(audio_length_in_s * sample_rate)}, and the length the
     * model runs (rounded up to the down-scale factor as diffusers does it, in Python float arithmetic).
     */
    private long[] lengths(PipelineCall resolved) {
        double length = resolved.audioLengthInS() != null ? resolved.audioLengthInS()
                : (double) unet.config().sampleSize / sampleRate();
        double sampleSize = length * sampleRate();
        int factor = 1 << unet.numUpBlocks();
        if (sampleSize < 3 * factor) {
            throw new IllegalArgumentException(length + " is too small. Make sure it's bigger or equal to "
                    + (3.0 * factor / sampleRate()) + ".");
        }
        long original = (long) sampleSize;
        double padded = sampleSize % factor != 0 ? (Math.floor(length * sampleRate() / factor) + 1) * factor
                : sampleSize;
        return new long[] {original, (long) padded};
    }

    /** The output type, the sample rate, a length the model can run and the host can hold. */
    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        super.checkPipelineInputs(call);
        long[] lengths = lengths(call);
        long values = lengths[1] * Math.max(unet.config().inChannels, unet.config().outChannels) * call.batchSize();
        if (values > MAX_VALUES) {
            throw new IllegalArgumentException("audio_length_in_s " + call.audioLengthInS() + " gives "
                    + lengths[1] + " samples per channel; batch_size x channels x samples must stay below 2^31");
        }
    }

    /** {@code __call__}. */
    @Override
    public AudioPipelineOutput call(PipelineCall call) {
        PipelineCall args = prepare(call);
        long[] lengths = lengths(args);
        UNet1DConfig config = unet.config();
        try (Scheduler s = callScheduler(args); NDManager m = manager.newSubManager()) {
            Shape shape = new Shape(args.batchSize(), config.inChannels, lengths[1]);
            NDArray audio = RandnTensor.randnTensor(m, shape, args.generators(), unet.dtype());
            s.setTimesteps(args.numInferenceSteps());
            audio = denoise(m, s, audio, args);
            NDArray clamped = audio.clip(-1f, 1f).toType(DataType.FLOAT32, false)
                    .get(new NDIndex(":, :, :{}", lengths[0]));
            return new AudioPipelineOutput(clamped.toFloatArray(), clamped.getShape().getShape(), sampleRate());
        }
    }

    @Override
    protected NDArray predict(NDArray sample, double t) {
        return unet.forward(sample, t);
    }

    /** {@code scheduler.step(model_output, t, audio)}: no eta, no generator. */
    @Override
    protected SchedulerOutput step(Scheduler s, NDArray modelOutput, double t, NDArray sample, PipelineCall args) {
        return s.step(modelOutput, t, sample, 0.0, null);
    }
}

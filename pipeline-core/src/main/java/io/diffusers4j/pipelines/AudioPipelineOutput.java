// diffusers.pipelines.pipeline_utils.AudioPipelineOutput: float audio [batch, channels, samples] in [-1, 1].
package io.diffusers4j.pipelines;

import java.util.Arrays;

/**
 * The result of an audio pipeline call, on the host: diffusers' {@code audios}, float32 {@code [batch, channels,
 * samples]} clamped to [-1, 1], with the sample rate they are meant to be played at (the UNet config's
 * {@code sample_rate}; diffusers keeps it there, {@code pipe.unet.config.sample_rate}).
 */
public final class AudioPipelineOutput implements PipelineOutput {
    private final float[] data;
    private final long[] shape;
    private final int sampleRate;

    public AudioPipelineOutput(float[] data, long[] shape, int sampleRate) {
        if (shape.length != 3) {
            throw new IllegalArgumentException("audio must be [batch, channels, samples], got shape "
                    + Arrays.toString(shape));
        }
        if ((long) data.length != shape[0] * shape[1] * shape[2]) {
            throw new IllegalArgumentException("audio data has " + data.length + " values but shape "
                    + Arrays.toString(shape));
        }
        if (sampleRate < 1) {
            throw new IllegalArgumentException("sample_rate must be >= 1, got " + sampleRate);
        }
        this.data = data;
        this.shape = shape.clone();
        this.sampleRate = sampleRate;
    }

    /** Always "np": audio pipelines return float arrays (Dance Diffusion's {@code __call__} has no output_type). */
    @Override
    public String outputType() {
        return "np";
    }

    @Override
    public int count() {
        return (int) shape[0];
    }

    /** The float data, C order {@code [batch, channels, samples]}. */
    public float[] data() {
        return data;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int channels() {
        return (int) shape[1];
    }

    /** Samples per channel. */
    public int samples() {
        return (int) shape[2];
    }

    public int sampleRate() {
        return sampleRate;
    }

    /** The length of each item in seconds: {@code samples / sample_rate}. */
    public double lengthInSeconds() {
        return (double) samples() / sampleRate;
    }

    /** Item {@code i} as {@code [channels, samples]} floats. */
    public float[] audio(int i) {
        int per = channels() * samples();
        return Arrays.copyOfRange(data, i * per, (i + 1) * per);
    }
}

// One rendered audio clip of the job: planar float samples in [-1, 1] at the UNet's sample rate.
package io.diffusers4j.job.render;

/**
 * One item of an audio pipeline's output ({@code AudioPipelineOutput.audio(i)}): {@code channels} rows of samples
 * one after the other, at {@code sampleRate} samples per second.
 */
public record AudioClip(float[] planar, int channels, int sampleRate) {
    public AudioClip {
        if (channels < 1 || planar.length % channels != 0) {
            throw new IllegalArgumentException("audio of " + planar.length + " values does not split into "
                    + channels + " channels");
        }
        if (sampleRate < 1) {
            throw new IllegalArgumentException("sample rate must be >= 1, got " + sampleRate);
        }
    }

    /** Samples per channel. */
    public int frames() {
        return planar.length / channels;
    }

    /** The clip's length in seconds. */
    public double lengthInSeconds() {
        return (double) frames() / sampleRate;
    }
}

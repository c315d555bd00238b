// Writes an audio pipeline's output as `generate` promises: a folder of WAV files (parameters in LIST/INFO) or one .npy.
package io.diffusers4j.cli;

import io.diffusers4j.audio.WavWriter;
import io.diffusers4j.pipelines.AudioPipelineOutput;
import io.diffusers4j.pipelines.PipelineTask;
import io.diffusers4j.utils.Npy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * wav: DIR/000.wav, 001.wav, ... at the UNet's sample rate, each carrying how it was made in its LIST/INFO chunk
 * ({@code INAM} the file's number, {@code ICMT} the AUTOMATIC1111-style parameters text of
 * {@link GenerateMetadata#forAudio}, {@code ISFT} the software); np: ONE float32 .npy {@code [N, channels,
 * samples]} in [-1, 1] (diffusers' {@code audios}).
 */
final class AudioOutputWriter {
    private AudioOutputWriter() {
    }

    /**
     * The output type a run writes: the one asked for, checked against what the pipeline produces (its task), or
     * the default: wav for audio, png for images.
     */
    static String outputType(String asked, PipelineTask task) {
        boolean audio = task == PipelineTask.AUDIO;
        if (asked == null) {
            return audio ? "wav" : "png";
        }
        if (audio && (asked.equals("png") || asked.equals("latent"))) {
            throw new UsageException("--output-type " + asked + " is for images; an audio checkpoint writes wav "
                    + "(the default) or np");
        }
        if (!audio && asked.equals("wav")) {
            throw new UsageException("--output-type wav is for audio checkpoints; images are written as png, np or "
                    + "latent");
        }
        return asked;
    }

    /** Writes {@code out} as {@code outputType} (wav or np) to {@code target}; returns the path. */
    static Path write(AudioPipelineOutput out, String outputType, Path target, GenerateMetadata metadata,
                      WavWriter.Format format) throws IOException {
        if (outputType.equals("np")) {
            Npy.writeFloat32(target, out.data(), out.shape());
            return target;
        }
        Files.createDirectories(target);
        int n = out.count();
        for (int i = 0; i < n; i++) {
            String name = String.format(Locale.ROOT, "%03d", i);
            Map<String, String> info = new LinkedHashMap<>();
            info.put("INAM", name);
            info.put("ICMT", metadata.forAudio(i, n, out).a1111Parameters());
            info.put("ISFT", "Diffusers4J");
            WavWriter.write(target.resolve(name + ".wav"), out.audio(i), out.channels(), out.sampleRate(), format,
                    info);
        }
        return target;
    }
}

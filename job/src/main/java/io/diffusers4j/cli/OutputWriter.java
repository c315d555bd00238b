// Writes a `generate` run's items as they come: one .npy (images, latents or audio) or a folder of PNGs or WAVs.
package io.diffusers4j.cli;

import io.diffusers4j.audio.WavWriter;
import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.pipelines.AudioPipelineOutput;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineOutput;
import io.diffusers4j.utils.Npy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * np: ONE float32 .npy [N,H,W,3] in [0,1]; png: DIR/000.png ..., each carrying how it was made in its text chunks
 * ({@link GenerationMetadata}: prompt, negative prompt, seed, steps, guidance scale, scheduler, model, revision,
 * size, plus an AUTOMATIC1111-style {@code parameters} text); latent: ONE float32 .npy [N,C,h,w]. Audio: wav:
 * DIR/000.wav ... at the UNet's sample rate, each with how it was made in its LIST/INFO chunk ({@code INAM} the
 * file's number, {@code ICMT} the parameters text of {@link GenerateMetadata#forAudio}, {@code ISFT} the software);
 * np: ONE float32 .npy [N,channels,samples] in [-1,1] (diffusers' {@code audios}). The parts of a
 * run (its micro-batches) are appended in order into the {@link OutputTarget}'s staging place, so a run holds one
 * micro-batch of images in memory whatever its size; {@link #finish} moves the complete output into place, and
 * {@link #close} without it removes what was written.
 */
final class OutputWriter implements AutoCloseable {
    /** The model name recorded for the embedded default pipeline (as the job records it). */
    static final String EMBEDDED_MODEL = "embedded:tiny-random";
    private static final int CHUNK_FLOATS = 1 << 16;

    private final OutputTarget target;
    private final int total;
    private final GenerateMetadata metadata;
    private final WavWriter.Format wavFormat;
    private final Path staging;
    private OutputStream npy;
    private long[] imageShape;
    private int written;
    private boolean finished;

    private OutputWriter(OutputTarget target, int total, GenerateMetadata metadata, WavWriter.Format wavFormat)
            throws IOException {
        this.target = target;
        this.total = total;
        this.metadata = metadata;
        this.wavFormat = wavFormat;
        this.staging = target.openStaging();
    }

    /**
     * The output type a run writes: the one asked for, checked against what the pipeline produces (audio or
     * images), or the default: wav for audio, png for images.
     */
    static String outputType(String asked, boolean audio) {
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

    /** Starts writing a run of {@code total} images (or latents) into {@code target}. */
    static OutputWriter open(OutputTarget target, int total, GenerateMetadata metadata) throws IOException {
        return open(target, total, metadata, WavWriter.Format.PCM_16);
    }

    /** As {@link #open(OutputTarget, int, GenerateMetadata)}; audio in a folder is written as {@code wavFormat}. */
    static OutputWriter open(OutputTarget target, int total, GenerateMetadata metadata, WavWriter.Format wavFormat)
            throws IOException {
        return new OutputWriter(target, total, metadata, wavFormat);
    }

    /** Writes the next part of the run: its items are items {@code written() ...} of the whole run. */
    void append(PipelineOutput part) throws IOException {
        if (part instanceof AudioPipelineOutput audio) {
            appendAudio(audio);
            return;
        }
        if (!(part instanceof ImagePipelineOutput images)) {
            throw new IllegalStateException(metadata.pipelineClass() + " returned no images");
        }
        if (written + images.count() > total) {
            throw new IllegalStateException("the run's parts hold more than its " + total + " images");
        }
        if (target.folder()) {
            List<BufferedImage> pictures = images.images();
            for (int i = 0; i < pictures.size(); i++) {
                Map<String, String> text = metadata.forImage(written + i, total).toPngText();
                Files.write(staging.resolve(target.itemName(written + i)), Png.write(pictures.get(i), text),
                        StandardOpenOption.CREATE_NEW);
            }
        } else {
            appendArray(images.shape(), images.data());
        }
        written += images.count();
    }

    private void appendAudio(AudioPipelineOutput audio) throws IOException {
        if (written + audio.count() > total) {
            throw new IllegalStateException("the run's parts hold more than its " + total + " clips");
        }
        if (target.folder()) {
            for (int i = 0; i < audio.count(); i++) {
                String name = target.itemName(written + i);
                Map<String, String> info = new LinkedHashMap<>();
                info.put("INAM", name.substring(0, name.indexOf('.')));
                info.put("ICMT", metadata.forAudio(written + i, total, audio).a1111Parameters());
                info.put("ISFT", "Diffusers4J");
                WavWriter.write(staging.resolve(name), audio.audio(i), audio.channels(), audio.sampleRate(),
                        wavFormat, info);
            }
        } else {
            appendArray(audio.shape(), audio.data());
        }
        written += audio.count();
    }

    private void appendArray(long[] shape, float[] data) throws IOException {
        long[] perImage = Arrays.copyOfRange(shape, 1, shape.length);
        if (npy == null) {
            imageShape = perImage;
            long[] whole = shape.clone();
            whole[0] = total;
            npy = Files.newOutputStream(staging, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            npy.write(Npy.header("<f4", whole));
        } else if (!Arrays.equals(imageShape, perImage)) {
            throw new IllegalStateException("a part of the run has images of shape " + Arrays.toString(perImage)
                    + ", the first had " + Arrays.toString(imageShape));
        }
        ByteBuffer bytes = ByteBuffer.allocate(4 * Math.min(CHUNK_FLOATS, data.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < data.length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, data.length - from);
            bytes.clear();
            bytes.asFloatBuffer().put(data, from, n);
            npy.write(bytes.array(), 0, 4 * n);
        }
    }

    /** Images written so far. */
    int written() {
        return written;
    }

    /** Moves the complete output into place; returns its path. */
    Path finish() throws IOException {
        if (written != total) {
            throw new IllegalStateException("wrote " + written + " of the run's " + total + " images");
        }
        if (npy != null) {
            npy.close();
            npy = null;
        }
        Path out = target.commit();
        finished = true;
        return out;
    }

    /** Without {@link #finish}: removes what was written (the run failed). */
    @Override
    public void close() throws IOException {
        if (finished) {
            return;
        }
        try {
            if (npy != null) {
                npy.close();
            }
        } finally {
            target.abort();
        }
    }
}

// Writes a pipeline's output as the CLI promises: one .npy, a folder of PNGs (with generation text chunks), or latents.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineOutput;
import io.diffusers4j.utils.Npy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * np: ONE float32 .npy [N,H,W,3] in [0,1]; png: DIR/000.png ..., each carrying how it was made in its text chunks
 * ({@link GenerationMetadata}: prompt, negative prompt, seed, steps, guidance scale, scheduler, model, revision,
 * size, plus an AUTOMATIC1111-style {@code parameters} text); latent: ONE float32 .npy [N,C,h,w].
 */
final class OutputWriter {
    /** The model name recorded for the embedded default pipeline (as the job records it). */
    static final String EMBEDDED_MODEL = "embedded:tiny-random";

    private OutputWriter() {
    }

    /** Writes {@code out} as {@code outputType} (png, np or latent) to {@code target}; returns the path. */
    static Path write(PipelineOutput out, String outputType, Path target, GenerateMetadata metadata)
            throws IOException {
        if (!(out instanceof ImagePipelineOutput images)) {
            throw new IllegalStateException(metadata.pipelineClass() + " returned no images");
        }
        switch (outputType) {
            case "np", "latent" -> Npy.writeFloat32(target, images.data(), images.shape());
            case "png" -> {
                Files.createDirectories(target);
                List<BufferedImage> pictures = images.images();
                for (int i = 0; i < pictures.size(); i++) {
                    Map<String, String> text = metadata.forImage(i, pictures.size()).toPngText();
                    Png.write(target.resolve(String.format(Locale.ROOT, "%03d.png", i)), pictures.get(i), text);
                }
            }
            default -> throw new IllegalStateException(outputType);
        }
        return target;
    }
}

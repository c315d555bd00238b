// Writes a pipeline's output as the CLI promises: one .npy, a folder of PNGs, or latents.
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.utils.Npy;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** np: ONE float32 .npy [N,H,W,3] in [0,1]; png: DIR/000.png ...; latent: ONE float32 .npy [N,C,h,w]. */
final class OutputWriter {
    private OutputWriter() {
    }

    static Path write(ImagePipelineOutput out, GenerateRequest req) throws IOException {
        Path target = req.output();
        switch (req.outputType()) {
            case "np", "latent" -> Npy.writeFloat32(target, out.data(), out.shape());
            case "png" -> {
                Files.createDirectories(target);
                List<BufferedImage> images = out.images();
                for (int i = 0; i < images.size(); i++) {
                    ImageIO.write(images.get(i), "png", target.resolve(String.format("%03d.png", i)).toFile());
                }
            }
            default -> throw new IllegalStateException(req.outputType());
        }
        return target;
    }
}

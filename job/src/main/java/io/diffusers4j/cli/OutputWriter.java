// Writes a pipeline's output as the CLI promises: one .npy, a folder of PNGs (with generation text chunks), or latents.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.pipelines.ImagePipelineOutput;
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

    /** @param scheduler the class name of the scheduler the call ran with */
    static Path write(ImagePipelineOutput out, GenerateRequest req, String scheduler) throws IOException {
        Path target = req.output();
        switch (req.outputType()) {
            case "np", "latent" -> Npy.writeFloat32(target, out.data(), out.shape());
            case "png" -> {
                Files.createDirectories(target);
                List<BufferedImage> images = out.images();
                for (int i = 0; i < images.size(); i++) {
                    BufferedImage img = images.get(i);
                    Map<String, String> text = metadata(req, scheduler, i, images.size(), img.getWidth(),
                            img.getHeight()).toPngText();
                    Png.write(target.resolve(String.format(Locale.ROOT, "%03d.png", i)), img, text);
                }
            }
            default -> throw new IllegalStateException(req.outputType());
        }
        return target;
    }

    /**
     * What made image {@code i} of {@code n}. Images are ordered like diffusers' (all images of prompt 0, then
     * prompt 1, ...). Seeds: one seed per image is that image's own generator; a single seed for a batch of
     * several images is ONE generator whose draw covers the whole batch, so the image records that seed plus
     * {@code batch_index}/{@code batch_size} (the image is reproduced by the same batch, not by the seed alone);
     * no seed records none.
     */
    static GenerationMetadata metadata(GenerateRequest req, String scheduler, int i, int n, int width, int height) {
        int perPrompt = req.numImagesPerPrompt();
        int promptIndex = Math.min(i / perPrompt, req.prompts().size() - 1);
        GenerationMetadata m = new GenerationMetadata().prompt(req.prompts().get(promptIndex))
                .steps(req.steps()).guidanceScale(req.guidanceScale()).scheduler(scheduler)
                .model(req.modelName()).revision(req.revision()).size(width, height);
        m.negativePrompt(forPrompt(req.negativePrompts(), promptIndex))
                .secondPrompts(forPrompt(req.prompts2(), promptIndex), forPrompt(req.negativePrompts2(), promptIndex));
        List<Long> seeds = req.seeds();
        if (seeds.size() == n) {
            m.seed(seeds.get(i));
        } else if (seeds.size() == 1) {
            m.seed(seeds.get(0));
            m.put("batch_index", Integer.toString(i));
            m.put("batch_size", Integer.toString(n));
        }
        if (req.strength() != null || req.image() != null) {
            // withPipelineDefaults filled in the pipeline's default (0.8 img2img, 1.0 inpainting, 0.3 SDXL img2img)
            m.put("strength", Double.toString(req.strength()));
            m.put("mode", req.maskImage() != null ? "inpaint" : "img2img");
        }
        if (req.eta() != 0) {
            m.put("eta", Double.toString(req.eta()));
        }
        if (req.clipSkip() != null) {
            m.put("clip_skip", Integer.toString(req.clipSkip()));
        }
        if (req.guidanceRescale() != 0) {
            m.put("guidance_rescale", Double.toString(req.guidanceRescale()));
        }
        m.schedule(req.timesteps(), req.sigmas());
        if (!req.schedulerOptions().isEmpty()) {
            m.put("scheduler_options", String.join(" ", req.schedulerOptions()));
        }
        return m;
    }

    /** The value of a once-for-all or once-per-prompt option for prompt {@code i}; null when not given. */
    private static String forPrompt(List<String> values, int i) {
        return values.isEmpty() ? null : values.get(values.size() == 1 ? 0 : i);
    }
}

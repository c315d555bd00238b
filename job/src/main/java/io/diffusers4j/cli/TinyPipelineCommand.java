// `diffusers4j tiny-pipeline`: writes the project's small seeded-random pipeline in diffusers layout.
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.TinyPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Writes a tiny pipeline with seeded random weights: SD-1.5-style (shapes like the tiny-sd fixture), or with
 * {@code --kind} an unconditional DDPM or a Dance Diffusion audio pipeline.
 */
@Command(name = "tiny-pipeline", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = {"Write a tiny pipeline with seeded random weights: SD-1.5-style (the embedded default model), "
                + "unconditional (DDPMPipeline) or audio (DanceDiffusionPipeline).",
            "The folder loads in diffusers too: DiffusionPipeline.from_pretrained(DIR)."})
public final class TinyPipelineCommand implements Callable<Integer> {
    @Option(names = "--output", paramLabel = "DIR", required = true,
            description = "folder to write (model_index.json and a folder per component)")
    Path output;

    @Option(names = "--seed", paramLabel = "N", description = "weight seed (default 0: the embedded default model)")
    long seed;

    @Option(names = "--kind", paramLabel = "text-to-image|unconditional|audio",
            description = "what to write (default text-to-image)")
    String kind = "text-to-image";

    @Override
    public Integer call() {
        TinyPipeline.Kind chosen = switch (kind) {
            case "text-to-image" -> TinyPipeline.Kind.TEXT_TO_IMAGE;
            case "unconditional" -> TinyPipeline.Kind.UNCONDITIONAL;
            case "audio" -> TinyPipeline.Kind.AUDIO;
            default -> throw new UsageException("--kind must be text-to-image, unconditional or audio, got '" + kind
                    + "'");
        };
        TinyPipeline.write(output, seed, chosen);
        System.err.println("diffusers4j tiny-pipeline: wrote " + output.toAbsolutePath());
        return 0;
    }
}

// `diffusers4j tiny-pipeline`: writes the project's small seeded-random pipeline in diffusers layout.
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.TinyPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Writes a tiny SD-1.5-style pipeline (shapes like the tiny-sd fixture) with seeded random weights. */
@Command(name = "tiny-pipeline", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = {"Write a tiny SD-1.5-style pipeline with seeded random weights (the embedded default model).",
            "The folder loads in diffusers too: StableDiffusionPipeline.from_pretrained(DIR)."})
public final class TinyPipelineCommand implements Callable<Integer> {
    @Option(names = "--output", paramLabel = "DIR", required = true,
            description = "folder to write (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/)")
    Path output;

    @Option(names = "--seed", paramLabel = "N", description = "weight seed (default 0: the embedded default model)")
    long seed;

    @Override
    public Integer call() {
        TinyPipeline.write(output, seed);
        System.err.println("diffusers4j tiny-pipeline: wrote " + output.toAbsolutePath());
        return 0;
    }
}

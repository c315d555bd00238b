// `diffusers4j tiny-pipeline`: writes the project's small seeded-random pipeline in diffusers layout.
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.TinyPipeline;

import java.nio.file.Path;
import java.util.Set;

/** Writes a tiny SD-1.5-style pipeline (shapes like the tiny-sd fixture) with seeded random weights. */
public final class TinyPipelineCommand implements Command {
    @Override
    public String name() {
        return "tiny-pipeline";
    }

    @Override
    public String summary() {
        return "write a tiny SD-1.5-style pipeline with seeded random weights (the embedded default model)";
    }

    @Override
    public String help() {
        return """
                usage: diffusers4j tiny-pipeline --output DIR [--seed N]

                  --output DIR   folder to write (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/)
                  --seed N       weight seed (default 0: the embedded default model)
                The folder loads in diffusers too: StableDiffusionPipeline.from_pretrained(DIR).
                """;
    }

    @Override
    public int run(String[] argv) {
        CliArgs a = CliArgs.parse(name(), argv, Set.of("output", "seed"), Set.of());
        Path out = Path.of(a.require("output"));
        long seed = a.longValues("seed").isEmpty() ? 0 : a.longValues("seed").get(0);
        TinyPipeline.write(out, seed);
        System.err.println("diffusers4j tiny-pipeline: wrote " + out.toAbsolutePath());
        return 0;
    }
}

// `diffusers4j tokenize`: the pipeline tokenizer's input_ids for prompts, as JSON.
package io.diffusers4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.tokenizers.TokenizerOutput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Prints {@code {"input_ids": [[77 ids], ...]}} (padding="max_length", truncation=True) on stdout. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = {"Print the CLIP tokenizer's input_ids for prompts as JSON: {\"input_ids\": [[...77 ids...], ...]},",
            "exactly what diffusers passes to the text encoder: tokenizer(prompt, padding=\"max_length\", "
                + "max_length=model_max_length, truncation=True)."})
public final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "a diffusers pipeline folder (its tokenizer/ "
            + "subfolder) or a tokenizer folder (default: the embedded tiny pipeline)")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", required = true, description = "repeatable")
    List<String> prompts;

    @Override
    public Integer call() throws Exception {
        Path model = this.model == null ? TinyPipeline.defaultModel() : this.model;
        Path dir = Files.isDirectory(model.resolve("tokenizer")) ? model.resolve("tokenizer") : model;
        if (!Files.isDirectory(dir)) {
            throw new UsageException("--model " + model + ": no such folder");
        }
        try (CLIPTokenizer tok = CLIPTokenizer.fromPretrained(dir)) {
            TokenizerOutput out = tok.encode(prompts);
            JsonArray all = new JsonArray();
            for (long[] ids : out.inputIds()) {
                JsonArray row = new JsonArray();
                for (long id : ids) {
                    row.add(id);
                }
                all.add(row);
            }
            JsonObject json = new JsonObject();
            json.add("input_ids", all);
            System.out.println(json);
        }
        return 0;
    }
}

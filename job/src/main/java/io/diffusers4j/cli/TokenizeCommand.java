// `diffusers4j tokenize`: the pipeline tokenizer's input_ids for prompts, as JSON.
package io.diffusers4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.tokenizers.TokenizerOutput;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Prints {@code {"input_ids": [[77 ids], ...]}} (padding="max_length", truncation=True) on stdout. */
public final class TokenizeCommand implements Command {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "print the CLIP tokenizer's input_ids for prompts as JSON";
    }

    @Override
    public String help() {
        return """
                usage: diffusers4j tokenize --model DIR --prompt TEXT [--prompt TEXT ...]

                  --model DIR     a diffusers pipeline folder (its tokenizer/ subfolder) or a tokenizer folder
                                  (default: the embedded tiny pipeline)
                  --prompt TEXT   repeatable
                Prints {"input_ids": [[...77 ids...], ...]} on stdout, exactly what diffusers passes to the text
                encoder: tokenizer(prompt, padding="max_length", max_length=model_max_length, truncation=True).
                """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        CliArgs a = CliArgs.parse(name(), argv, Set.of("model", "prompt"), Set.of());
        List<String> prompts = a.all("prompt");
        if (prompts.isEmpty()) {
            throw new UsageException("--prompt is required (repeatable)");
        }
        Path model = Path.of(a.get("model", TinyPipeline.defaultModel().toString()));
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

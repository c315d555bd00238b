// `generate --lora PATH_OR_HUB_ID[:SCALE] --textual-inversion PATH[:TOKEN]`: adapters loaded into the pipeline.
package io.diffusers4j.cli;

import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.image.AdapterMetadata;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.loaders.TextualInversionLoader;
import io.diffusers4j.pipelines.DiffusionPipeline;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The adapter flags of {@code generate} (a picocli mixin). Each {@code --lora} is loaded as an adapter named after
 * its file (or Hub repo), as the AUTOMATIC1111 web UI names it, and all of them are activated with their scales as
 * adapter weights (diffusers' {@code set_adapters(names, adapter_weights=scales)}); each
 * {@code --textual-inversion} adds its token(s) ({@code load_textual_inversion(path, token=token)}). Loading happens
 * after the pipeline, so a bad adapter file fails before any image is rendered, with the file named.
 */
public final class AdapterOptions {
    @Option(names = "--lora", paramLabel = "PATH_OR_HUB_ID[:SCALE]", description = {"a LoRA .safetensors file, a "
            + "folder or Hub repo holding one (diffusers / peft, Kohya / AUTOMATIC1111 or older diffusers keys); "
            + "SCALE is its adapter weight (default 1.0); repeatable: the LoRAs are combined",
        "pickle files (.bin, .pt, .ckpt) are refused"})
    List<String> loras = new ArrayList<>();

    @Option(names = "--textual-inversion", paramLabel = "PATH[:TOKEN]", description = "a textual-inversion "
            + ".safetensors embedding (diffusers', AUTOMATIC1111's emb_params, SDXL's clip_l/clip_g); TOKEN is the "
            + "word to use in prompts (default: the file's key; AUTOMATIC1111 files: the file name); repeatable")
    List<String> textualInversions = new ArrayList<>();

    /** One {@code --lora}: where it comes from, its adapter name and scale. */
    record LoraSpec(String source, String name, double scale) {
    }

    /** One {@code --textual-inversion}: its file and optional token. */
    record EmbeddingSpec(String source, String token) {
    }

    /** The parsed {@code --lora} values, with unique adapter names; a malformed value is a usage error. */
    List<LoraSpec> loraSpecs() {
        List<LoraSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String value : loras) {
            String source = value;
            double scale = 1.0;
            int colon = value.lastIndexOf(':');
            if (colon > 0 && !exists(value)) {
                String tail = value.substring(colon + 1);
                try {
                    scale = Double.parseDouble(tail);
                    source = value.substring(0, colon);
                } catch (NumberFormatException e) {
                    throw new UsageException("--lora " + value + ": the part after the last ':' must be a scale "
                            + "(a number), got '" + tail + "'");
                }
                if (!Double.isFinite(scale) || !Float.isFinite((float) scale)) {
                    throw new UsageException("--lora " + value + ": the scale must be a finite number");
                }
            }
            if (source.isBlank()) {
                throw new UsageException("--lora " + value + ": no path or Hub repo id");
            }
            String base = adapterName(source);
            String name = base;
            for (int i = 2; !names.add(name); i++) {
                name = base + "_" + i;
            }
            out.add(new LoraSpec(source, name, scale));
        }
        return out;
    }

    /** The parsed {@code --textual-inversion} values. */
    List<EmbeddingSpec> embeddingSpecs() {
        List<EmbeddingSpec> out = new ArrayList<>();
        for (String value : textualInversions) {
            int colon = value.lastIndexOf(':');
            if (colon > 0 && !exists(value)) {
                String token = value.substring(colon + 1);
                if (token.isBlank()) {
                    throw new UsageException("--textual-inversion " + value + ": empty token after ':'");
                }
                out.add(new EmbeddingSpec(value.substring(0, colon), token));
            } else {
                out.add(new EmbeddingSpec(value, null));
            }
        }
        return out;
    }

    /**
     * The checks that need no pipeline: the values parse, local paths exist (a Hub id is resolved when loading),
     * and none is a pickle file.
     */
    void check() {
        for (LoraSpec s : loraSpecs()) {
            checkLocal("--lora", s.source());
        }
        for (EmbeddingSpec s : embeddingSpecs()) {
            checkLocal("--textual-inversion", s.source());
        }
    }

    private static void checkLocal(String option, String source) {
        String lower = source.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".bin") || lower.endsWith(".pt") || lower.endsWith(".pth") || lower.endsWith(".ckpt")) {
            throw new UsageException(option + " " + source + ": pickle files are refused (loading one can run "
                    + "arbitrary code); use a .safetensors file");
        }
        boolean looksLocal = source.endsWith(".safetensors") || source.startsWith(".") || source.startsWith("/")
                || source.chars().filter(c -> c == '/').count() != 1;
        if (looksLocal && !exists(source)) {
            throw new UsageException(option + " " + source + ": no such file or folder");
        }
    }

    private static boolean exists(String s) {
        try {
            return Files.exists(Path.of(s));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** The adapter name of a source: its file name without extension, or the repo's name for a Hub id. */
    static String adapterName(String source) {
        return AdapterMetadata.displayName(source);
    }

    /**
     * Loads the embeddings and the LoRAs into {@code pipe} (textual inversion first, then every LoRA, then their
     * scales), returning what PNG text records.
     */
    AdapterMetadata apply(DiffusionPipeline pipe, HubOptions hub) {
        List<AdapterMetadata.Embedding> embeddings = new ArrayList<>();
        for (EmbeddingSpec s : embeddingSpecs()) {
            TextualInversionLoader.Loaded loaded = pipe.loadTextualInversion(s.source(), null, s.token(), hub);
            embeddings.add(new AdapterMetadata.Embedding(loaded.token(), loaded.sha256()));
            System.err.println("diffusers4j generate: textual inversion " + loaded.token() + " ("
                    + loaded.tokens().size() + " vector" + (loaded.tokens().size() == 1 ? "" : "s") + ") from "
                    + loaded.file());
        }
        List<LoraSpec> specs = loraSpecs();
        List<AdapterMetadata.Lora> used = new ArrayList<>();
        for (LoraSpec s : specs) {
            LoraLoader.AdapterInfo info = pipe.loadLoraWeights(s.source(), null, s.name(), hub);
            used.add(new AdapterMetadata.Lora(s.name(), s.scale(), info.sha256(), LoraLoader.addnetHash(info.file())));
            System.err.println("diffusers4j generate: LoRA " + s.name() + " (scale " + s.scale() + ", "
                    + info.layers() + " layers) from " + info.file());
        }
        if (!specs.isEmpty()) {
            pipe.setAdapters(specs.stream().map(LoraSpec::name).toList(),
                    specs.stream().map(LoraSpec::scale).toList());
        }
        return new AdapterMetadata(used, embeddings);
    }
}

// Port of diffusers.loaders.textual_inversion.TextualInversionLoaderMixin (0.30.3), safetensors files only.
package io.diffusers4j.loaders;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.weights.SafetensorsFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Textual-inversion embeddings: new tokens in a tokenizer and their vectors as new rows of its text encoder's token
 * embedding matrix. Reads the safetensors layouts diffusers reads: diffusers' {@code {token: [n, dim]}} (a single
 * key: the token unless one is given) and AUTOMATIC1111's {@code {"emb_params": [n, dim]}} (the token is the one
 * given, else the file name without extension, as AUTOMATIC1111 names it; diffusers would take "emb_params"), plus
 * SDXL's {@code {"clip_l": ..., "clip_g": ...}} for two-encoder pipelines (clip_l to the first encoder, clip_g to the
 * second: diffusers' documented pair of {@code load_textual_inversion} calls). An embedding of n > 1 vectors adds
 * {@code <tok>}, {@code <tok>_1}, ..., {@code <tok>_{n-1}}; {@link #maybeConvertPrompt} expands {@code <tok>} in
 * prompts to them.
 */
public final class TextualInversionLoader {
    private static final Logger LOG = LoggerFactory.getLogger(TextualInversionLoader.class);

    /** A tokenizer and its text encoder. */
    public record Encoder(CLIPTokenizer tokenizer, CLIPTextEncoder textEncoder) {
    }

    /** What was loaded: the file, its SHA-256 and the tokens added (per encoder, in order). */
    public record Loaded(Path file, String sha256, String token, List<String> tokens) {
    }

    private TextualInversionLoader() {
    }

    /**
     * {@code load_textual_inversion(pathOrHubId, token=token)} into {@code encoders} (one, or SDXL's two). Checks
     * everything (tokens not yet in any vocabulary, vector sizes) before changing anything.
     */
    public static Loaded load(String pathOrHubId, String weightName, String token, List<Encoder> encoders,
                              HubOptions hub) {
        Path file = AdapterFiles.resolve(pathOrHubId, weightName, AdapterFiles.TEXT_INVERSION_NAME_SAFE, hub,
                "textual inversion");
        String where = file.toString();
        try (NDManager reading = NDManager.newBaseManager(Device.cpu());
             SafetensorsFile st = SafetensorsFile.open(file)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String k : st.keys()) {
                tensors.put(k, st.load(k, reading, DataType.FLOAT32));
            }
            String stem = file.getFileName().toString().replaceFirst("\\.safetensors$", "");
            List<NDArray> perEncoder = new ArrayList<>();
            String resolved;
            if (tensors.size() == 2 && tensors.containsKey("clip_l") && tensors.containsKey("clip_g")) {
                if (encoders.size() != 2) {
                    throw new IllegalArgumentException(where + ": an SDXL embedding (clip_l, clip_g) needs a pipeline "
                            + "with two text encoders");
                }
                perEncoder.add(tensors.get("clip_l"));
                perEncoder.add(tensors.get("clip_g"));
                resolved = token != null ? token : stem;
            } else if (tensors.size() == 1) {
                Map.Entry<String, NDArray> only = tensors.entrySet().iterator().next();
                resolved = token != null ? token : only.getKey().equals("emb_params") ? stem : only.getKey();
                if (token != null && !token.equals(only.getKey())) {
                    LOG.info("The loaded token: {} is overwritten by the passed token {}.", only.getKey(), token);
                }
                if (encoders.size() != 1) {
                    throw new IllegalArgumentException(where + ": a one-encoder embedding on a pipeline with "
                            + encoders.size() + " text encoders: SDXL embeddings hold clip_l and clip_g");
                }
                perEncoder.add(only.getValue());
            } else {
                throw new IllegalArgumentException(where + ": Loaded state dictionary is incorrect: keys "
                        + tensors.keySet() + ". A textual inversion file holds a single tensor ({token: tensor} or "
                        + "AUTOMATIC1111's {\"emb_params\": tensor}), or SDXL's clip_l and clip_g");
            }
            List<float[][]> vectors = new ArrayList<>();
            for (int i = 0; i < encoders.size(); i++) {
                vectors.add(check(resolved, perEncoder.get(i), encoders.get(i), where));
            }
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < encoders.size(); i++) {
                tokens = apply(resolved, vectors.get(i), encoders.get(i), reading);
            }
            LOG.info("Loaded textual inversion embedding for {} from {} ({} vector{})", resolved, where,
                    tokens.size(), tokens.size() == 1 ? "" : "s");
            return new Loaded(file, LoraLoader.sha256(file), resolved, List.copyOf(tokens));
        }
    }

    /**
     * diffusers' {@code unload_textual_inversion()}: every token a textual inversion added (the added tokens whose
     * ids lie beyond the checkpoint's {@code vocab_size}) leaves each tokenizer, and its rows leave the text
     * encoder's token embeddings, which are the checkpoint's again. Returns the tokens removed (of the first
     * encoder). Must not run while the text encoders compute.
     */
    public static List<String> unload(List<Encoder> encoders) {
        List<List<String>> perEncoder = new ArrayList<>();
        for (Encoder e : encoders) { // all checked before anything changes
            long base = e.textEncoder().config().vocabSize;
            List<String> tokens = new ArrayList<>();
            for (String t : e.tokenizer().nonSpecialAddedTokens()) {
                if (e.tokenizer().convertTokenToId(t) >= base) {
                    tokens.add(t);
                }
            }
            if (e.textEncoder().tokenEmbeddingRows() != base + tokens.size()) {
                throw new IllegalStateException("the text encoder has " + e.textEncoder().tokenEmbeddingRows()
                        + " token embeddings, not vocab_size " + base + " + the " + tokens.size() + " added tokens");
            }
            perEncoder.add(tokens);
        }
        for (int i = 0; i < encoders.size(); i++) {
            Encoder e = encoders.get(i);
            e.tokenizer().removeAddedTokens(perEncoder.get(i));
            e.textEncoder().truncateTokenEmbeddings(e.textEncoder().config().vocabSize);
        }
        if (!perEncoder.isEmpty() && !perEncoder.get(0).isEmpty()) {
            LOG.info("unloaded the textual inversion tokens {}", perEncoder.get(0));
        }
        return perEncoder.isEmpty() ? List.of() : List.copyOf(perEncoder.get(0));
    }

    /** The vectors of {@code embedding} ([dim] or [n, dim]) for {@code token}, after diffusers' checks. */
    private static float[][] check(String token, NDArray embedding, Encoder encoder, String where) {
        CLIPTokenizer tokenizer = encoder.tokenizer();
        if (tokenizer.inVocabulary(token)) {
            throw new IllegalArgumentException("Token " + token + " already in tokenizer vocabulary. Please choose a "
                    + "different token name or remove " + token + " and embedding from the tokenizer and text "
                    + "encoder.");
        }
        if (tokenizer.inVocabulary(token + "_1")) {
            List<String> multi = new ArrayList<>(List.of(token));
            for (int i = 1; tokenizer.isAddedToken(token + "_" + i); i++) {
                multi.add(token + "_" + i);
            }
            throw new IllegalArgumentException("Multi-vector Token " + multi + " already in tokenizer vocabulary. "
                    + "Please choose a different token name or remove the " + multi + " and embedding from the "
                    + "tokenizer and text encoder.");
        }
        Shape shape = embedding.getShape();
        long dim = encoder.textEncoder().config().hiddenSize;
        if (shape.dimension() < 1 || shape.dimension() > 2 || shape.get(shape.dimension() - 1) != dim
                || shape.size() == 0) {
            throw new IllegalArgumentException(where + ": Loaded embeddings are of incorrect shape " + shape
                    + ". Expected each textual inversion embedding to be of shape [" + dim + "] (or [n, " + dim
                    + "] for n vectors), the text encoder's hidden size");
        }
        if (tokenizer.length() != encoder.textEncoder().tokenEmbeddingRows()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.length() + " tokens but its text "
                    + "encoder " + encoder.textEncoder().tokenEmbeddingRows() + " token embeddings: textual "
                    + "inversion needs them equal");
        }
        int n = shape.dimension() == 1 ? 1 : (int) shape.get(0);
        float[] flat = embedding.toFloatArray();
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = Arrays.copyOfRange(flat, (int) (i * dim), (int) ((i + 1) * dim));
        }
        return rows;
    }

    /** Adds the tokens ({@code token}, then {@code token_1}...) and their rows; returns the tokens. */
    private static List<String> apply(String token, float[][] rows, Encoder encoder, NDManager manager) {
        List<String> tokens = new ArrayList<>();
        tokens.add(token);
        for (int i = 1; i < rows.length; i++) {
            tokens.add(token + "_" + i);
        }
        float[] flat = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        long first = encoder.textEncoder().appendTokenEmbeddings(manager.create(flat,
                new Shape(rows.length, rows[0].length)));
        for (int i = 0; i < tokens.size(); i++) {
            encoder.tokenizer().addTokens(List.of(tokens.get(i)));
            long id = encoder.tokenizer().convertTokenToId(tokens.get(i));
            if (id != first + i) {
                throw new IllegalStateException("token " + tokens.get(i) + " got id " + id + ", its embedding row is "
                        + (first + i));
            }
        }
        return tokens;
    }

    /**
     * {@code maybe_convert_prompt}: every added token of the prompt that has companions {@code <tok>_1, ...} is
     * replaced (all its occurrences, as Python's {@code str.replace}) by {@code "<tok> <tok>_1 ..."}.
     */
    public static String maybeConvertPrompt(String prompt, CLIPTokenizer tokenizer) {
        if (prompt == null || !hasMultiVectorTokens(tokenizer)) {
            return prompt;
        }
        Set<String> unique = new LinkedHashSet<>(tokenizer.tokenize(prompt));
        String out = prompt;
        for (String token : unique) {
            if (!tokenizer.isAddedToken(token)) {
                continue;
            }
            StringBuilder replacement = new StringBuilder(token);
            for (int i = 1; tokenizer.isAddedToken(token + "_" + i); i++) {
                replacement.append(' ').append(token).append('_').append(i);
            }
            out = out.replace(token, replacement.toString());
        }
        return out;
    }

    /** {@link #maybeConvertPrompt} of each prompt (nulls kept). */
    public static List<String> maybeConvertPrompts(List<String> prompts, CLIPTokenizer tokenizer) {
        if (prompts == null || !hasMultiVectorTokens(tokenizer)) {
            return prompts;
        }
        List<String> out = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            out.add(maybeConvertPrompt(p, tokenizer));
        }
        return out;
    }

    private static boolean hasMultiVectorTokens(CLIPTokenizer tokenizer) {
        for (String t : tokenizer.nonSpecialAddedTokens()) {
            if (tokenizer.isAddedToken(t + "_1")) {
                return true;
            }
        }
        return false;
    }
}

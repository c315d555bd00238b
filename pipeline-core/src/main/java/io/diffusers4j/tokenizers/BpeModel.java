// CLIP's byte-level BPE (transformers CLIPTokenizer.bpe) run by the Hugging Face tokenizers library through DJL.
package io.diffusers4j.tokenizers;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The BPE step alone: a {@code tokenizer.json} synthesized in memory from the slow tokenizer's vocabulary and merges
 * (BPE model with {@code end_of_word_suffix "</w>"}; no normalizer, pre-tokenizer, post-processor, added tokens,
 * truncation or padding), fed with words that {@link BasicTokenizer} and {@link ClipPattern} already produced and
 * byte-encoded. Each word is one pre-tokenized input unit, so the library's BPE sees exactly the strings
 * transformers' {@code bpe()} sees; with merges in rank order its merge loop gives the same pieces (a merged symbol
 * only takes part in later-ranked merges, so merging by (rank, position) equals transformers' lowest-rank-first
 * loop). Thread-safe: the native tokenizer is immutable and encodes concurrently.
 */
final class BpeModel implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    BpeModel(Map<String, Integer> vocab, List<String[]> merges) {
        String json = tokenizerJson(vocab, merges);
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false",
                "modelMaxLength", String.valueOf(Integer.MAX_VALUE));
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the BPE tokenizer from vocab.json/merges.txt", e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the tokenizers library rejected the vocabulary/merges (every merge"
                    + " and its result must be in vocab.json): " + e.getMessage(), e);
        }
    }

    /** The {@code tokenizer.json} text the BPE runs from. */
    static String tokenizerJson(Map<String, Integer> vocab, List<String[]> merges) {
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.add("continuing_subword_prefix", JsonNull.INSTANCE);
        model.addProperty("end_of_word_suffix", "</w>");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", false);
        JsonObject v = new JsonObject();
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            v.addProperty(e.getKey(), e.getValue());
        }
        model.add("vocab", v);
        JsonArray m = new JsonArray(merges.size());
        for (String[] pair : merges) {
            m.add(pair[0] + " " + pair[1]);
        }
        model.add("merges", m);
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        root.add("added_tokens", new JsonArray());
        root.add("normalizer", JsonNull.INSTANCE);
        root.add("pre_tokenizer", JsonNull.INSTANCE);
        root.add("post_processor", JsonNull.INSTANCE);
        root.add("decoder", JsonNull.INSTANCE);
        root.add("model", model);
        Gson gson = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
        return gson.toJson(root);
    }

    /**
     * BPE of each byte-level word: {@code result.get(i)} are the pieces of {@code words.get(i)} (the last one
     * carries {@code </w>}), as {@code CLIPTokenizer.bpe(word).split(" ")}.
     */
    List<List<String>> encode(List<String> words) {
        List<List<String>> pieces = new ArrayList<>(words.size());
        for (int i = 0; i < words.size(); i++) {
            pieces.add(new ArrayList<>(2));
        }
        if (words.isEmpty()) {
            return pieces;
        }
        Encoding encoding = tokenizer.encode(words.toArray(new String[0]), false, false);
        String[] tokens = encoding.getTokens();
        long[] wordIds = encoding.getWordIds();
        if (tokens.length != wordIds.length) {
            throw new IllegalStateException("tokenizers returned " + tokens.length + " tokens but " + wordIds.length
                    + " word ids");
        }
        for (int t = 0; t < tokens.length; t++) {
            int w = (int) wordIds[t];
            if (w < 0 || w >= words.size()) {
                throw new IllegalStateException("tokenizers returned word id " + w + " for " + words.size() + " words");
            }
            pieces.get(w).add(tokens[t]);
        }
        for (int i = 0; i < words.size(); i++) {
            if (pieces.get(i).isEmpty()) {
                throw new IllegalStateException("BPE produced no token for word '" + words.get(i) + "'");
            }
        }
        return pieces;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

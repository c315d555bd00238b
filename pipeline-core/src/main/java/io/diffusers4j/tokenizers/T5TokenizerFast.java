// Port of transformers.models.t5.tokenization_t5_fast.T5TokenizerFast (d6751d91) as SD3 / FLUX call it.
package io.diffusers4j.tokenizers;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * T5's fast tokenizer: the checkpoint's {@code tokenizer.json} run by the Hugging Face tokenizers library (through
 * DJL, offline), with transformers' call semantics on top.
 *
 * <p>{@link #encode(List, int)} is {@code tokenizer(prompts, padding="max_length", max_length=N, truncation=True,
 * add_special_tokens=True).input_ids}: the Rust tokenizer produces each prompt's tokens followed by the
 * post-processor's {@code </s>}; a prompt longer than N keeps its first {@code N - 1} tokens and the {@code </s>}
 * (the library's longest-first truncation leaves room for the added token); rows are padded on the right with the
 * pad id (0) to N. {@link #untruncatedIds(List)} is {@code tokenizer(prompts, padding="longest").input_ids}, and
 * {@link #removedText} the text diffusers' SD3 / FLUX pipelines log when a prompt was cut. The truncation and padding
 * are done here on the library's output rather than by the library itself, so that one native tokenizer serves
 * every {@code max_length}; for T5's {@code $A </s>} template (checked when loading) they are the same operations.
 *
 * <p>Thread-safe: the native tokenizer is immutable; {@link #close()} waits for calls in progress.
 */
public final class T5TokenizerFast implements AutoCloseable {
    /** Largest {@code max_length} accepted (SD3 and FLUX use at most 512; T5 itself has no position limit). */
    public static final int MAX_LENGTH = 8192;

    private final T5TokenizerFiles files;
    private final HuggingFaceTokenizer tokenizer;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private T5TokenizerFast(T5TokenizerFiles files) {
        this.files = files;
        // The library's own truncation and padding stay off (they are applied here, per call); special tokens on
        // (the post-processor's </s>). modelMaxLength only silences DJL's length warnings.
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "false",
                "padding", "false",
                "modelMaxLength", String.valueOf(Integer.MAX_VALUE));
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(files.tokenizerJsonText.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException e) {
            throw new UncheckedIOException(files.tokenizerJson + ": cannot load the tokenizer", e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(files.tokenizerJson + ": the tokenizers library rejected it: "
                    + e.getMessage(), e);
        }
    }

    /**
     * {@code T5TokenizerFast.from_pretrained(dir)} for a local folder holding {@code tokenizer.json} (and usually
     * {@code tokenizer_config.json}, {@code special_tokens_map.json}); a folder with only the slow tokenizer's
     * {@code spiece.model} is refused naming it.
     */
    public static T5TokenizerFast fromPretrained(Path dir) {
        return new T5TokenizerFast(T5TokenizerFiles.read(dir));
    }

    /**
     * {@code tokenizer(prompts, padding="max_length", max_length=maxLength, truncation=True,
     * add_special_tokens=True).input_ids}: one row of {@code maxLength} ids per prompt.
     */
    public long[][] encode(List<String> prompts, int maxLength) {
        return encodeWithMask(prompts, maxLength).inputIds();
    }

    /** {@link #encode(List, int)} with its {@code attention_mask} (1 for tokens including {@code </s>}, 0 padding). */
    public TokenizerOutput encodeWithMask(List<String> prompts, int maxLength) {
        if (maxLength < 1 || maxLength > MAX_LENGTH) {
            throw new IllegalArgumentException("max_length must be in [1, " + MAX_LENGTH + "], got " + maxLength);
        }
        long[][] tokens = tokenize(prompts);
        long[][] ids = new long[tokens.length][];
        long[][] mask = new long[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            long[] row = truncate(tokens[i], maxLength);
            ids[i] = pad(row, maxLength);
            mask[i] = new long[maxLength];
            Arrays.fill(mask[i], 0, row.length, 1L);
        }
        return new TokenizerOutput(ids, mask);
    }

    /**
     * {@code tokenizer(prompts, padding="longest").input_ids}: every prompt's full ids (with {@code </s>}),
     * padded on the right to the longest; nothing is truncated.
     */
    public long[][] untruncatedIds(List<String> prompts) {
        long[][] tokens = tokenize(prompts);
        int longest = 0;
        for (long[] row : tokens) {
            longest = Math.max(longest, row.length);
        }
        long[][] out = new long[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = pad(tokens[i], longest);
        }
        return out;
    }

    /**
     * diffusers' truncation check of {@code _get_t5_prompt_embeds} (SD3, FLUX): when the untruncated ids are at
     * least {@code maxLength} long and differ from {@link #encode(List, int)}'s, the text that was cut,
     * {@code batch_decode(untruncated_ids[:, sliceStart:-1])}, one string per prompt; empty otherwise. diffusers
     * 0.30.3 slices from its CLIP tokenizer's {@code model_max_length - 1} (76), not {@code maxLength - 1}.
     */
    public Optional<List<String>> removedText(List<String> prompts, int maxLength, int sliceStart) {
        long[][] ids = encode(prompts, maxLength);
        long[][] untruncated = untruncatedIds(prompts);
        int width = untruncated.length == 0 ? 0 : untruncated[0].length;
        if (width < maxLength || Arrays.deepEquals(ids, untruncated)) {
            return Optional.empty();
        }
        if (sliceStart < 0) {
            throw new IllegalArgumentException("sliceStart must be >= 0, got " + sliceStart);
        }
        long[][] cut = new long[untruncated.length][];
        for (int i = 0; i < untruncated.length; i++) {
            int from = Math.min(sliceStart, width - 1);
            cut[i] = Arrays.copyOfRange(untruncated[i], from, width - 1);
        }
        return Optional.of(batchDecode(cut));
    }

    /**
     * {@code batch_decode(ids)} with transformers' defaults: special tokens kept, then
     * {@code clean_up_tokenization} when the folder's {@code clean_up_tokenization_spaces} is true (T5's).
     */
    public List<String> batchDecode(long[][] ids) {
        lock.readLock().lock();
        try {
            checkOpen();
            String[] texts = ids.length == 0 ? new String[0] : tokenizer.batchDecode(ids, false);
            List<String> out = new ArrayList<>(texts.length);
            for (String t : texts) {
                out.add(files.cleanUpTokenizationSpaces ? cleanUpTokenization(t) : t);
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** transformers' {@code clean_up_tokenization}: spaces before punctuation and English contractions removed. */
    static String cleanUpTokenization(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** The pad id rows are padded with ({@code pad_token_id}, 0 for T5). */
    public long padTokenId() {
        return files.padTokenId;
    }

    /** The id the post-processor appends ({@code </s>}, 1 for T5). */
    public long eosTokenId() {
        return files.eosTokenId;
    }

    /** {@code len(tokenizer)}: the vocabulary including added tokens (32,100 for T5). */
    public int vocabSize() {
        return files.vocabSize;
    }

    /** {@code model_max_length} of {@code tokenizer_config.json} (512 for T5), {@link Integer#MAX_VALUE} if unset. */
    public int modelMaxLength() {
        return files.modelMaxLength;
    }

    /** The folder this tokenizer was read from. */
    public Path directory() {
        return files.dir;
    }

    /** The tokenizer files transformers' {@code save_pretrained} writes, copied as they were read, into {@code dir}. */
    public void savePretrained(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : SAVED_FILES) {
            Path from = files.dir.resolve(name);
            if (Files.isRegularFile(from)) {
                Files.copy(from, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** The files of a T5TokenizerFast folder ({@code spiece.model} lets Python rebuild the slow tokenizer). */
    private static final List<String> SAVED_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "spiece.model");

    /** Each prompt's ids with the post-processor's {@code </s>}, untruncated and unpadded. */
    private long[][] tokenize(List<String> prompts) {
        if (prompts == null) {
            throw new IllegalArgumentException("prompts must not be null");
        }
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i) == null) {
                throw new IllegalArgumentException("prompt " + i + " is null");
            }
        }
        if (prompts.isEmpty()) {
            return new long[0][];
        }
        Encoding[] encodings;
        lock.readLock().lock();
        try {
            checkOpen();
            encodings = tokenizer.batchEncode(prompts.toArray(new String[0]), true, false);
        } finally {
            lock.readLock().unlock();
        }
        long[][] out = new long[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            long[] ids = encodings[i].getIds();
            if (ids.length == 0 || ids[ids.length - 1] != files.eosTokenId) {
                throw new IllegalStateException(files.tokenizerJson + ": the post-processor did not end prompt " + i
                        + " with </s> (id " + files.eosTokenId + ")");
            }
            out[i] = ids;
        }
        return out;
    }

    /** Longest-first truncation of one sequence with one added token: the first {@code max - 1} tokens + EOS. */
    private long[] truncate(long[] withEos, int maxLength) {
        if (withEos.length <= maxLength) {
            return withEos;
        }
        long[] out = Arrays.copyOf(withEos, maxLength);
        out[maxLength - 1] = files.eosTokenId;
        return out;
    }

    private long[] pad(long[] row, int length) {
        long[] out = Arrays.copyOf(row, length);
        Arrays.fill(out, row.length, length, files.padTokenId);
        return out;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("T5TokenizerFast for " + files.dir + " is closed");
        }
    }

    /** Frees the native tokenizer (after the calls in progress). */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}

// Port of transformers.models.clip.tokenization_clip.CLIPTokenizer (the slow tokenizer diffusers loads), without ftfy.
package io.diffusers4j.tokenizers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * CLIP's tokenizer with the behaviour of transformers' slow {@code CLIPTokenizer} (4.45) in a default install
 * (no {@code ftfy}), which is what diffusers' Stable Diffusion pipelines use.
 *
 * <p>Per text: added/special tokens written literally ({@code <|endoftext|>}, or a pad token such as SD-2's "!")
 * are cut out first and map to their ids (honouring their lstrip/rstrip/single_word flags); every other piece goes
 * through {@link BasicTokenizer} (control characters dropped, whitespace normalised, spaces around CJK ideographs, NFC,
 * lower case), CLIP's word pattern ({@link ClipPattern}) and byte-level BPE with the {@code </w>} suffix, run by the
 * Hugging Face tokenizers library ({@link BpeModel}). {@link #encode(List)} is diffusers' call
 * {@code tokenizer(prompt, padding="max_length", max_length=tokenizer.model_max_length, truncation=True)}:
 * bos + the first {@code max - 2} tokens + eos, padded with the pad id, and it logs diffusers' warning naming the
 * text that did not fit.
 *
 * <p>Thread-safe: the state is immutable after {@link #fromPretrained} except for {@link #addTokens} (textual
 * inversion), which must not run while other threads tokenize; {@link #close()} releases the native tokenizer and
 * waits for calls in progress.
 */
public final class CLIPTokenizer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CLIPTokenizer.class);
    /** CLIPTokenizer.cache starts with these two: bpe() returns them unchanged. */
    private static final Set<String> BPE_CACHE = Set.of("<|startoftext|>", "<|endoftext|>");

    private final CLIPTokenizerFiles files;
    private final BpeModel bpe;
    /** Rebuilt (never modified) when tokens are added. */
    private volatile AddedTokenTrie trie;
    private final Map<Integer, String> decoder;
    private final Set<String> allSpecialTokens;
    private final Set<Long> allSpecialIds;
    /** Copy-on-write: replaced when tokens are added. */
    private volatile Set<String> legacyAddedTokens;
    private final Integer unkVocabId;
    private final long bosTokenId;
    private final long eosTokenId;
    private final Long padTokenId;
    private final Long unkTokenId;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private CLIPTokenizer(CLIPTokenizerFiles files) {
        this.files = files;
        Map<Integer, String> dec = new HashMap<>(files.vocab.size() * 2);
        files.vocab.forEach((token, id) -> dec.put(id, token));
        this.decoder = dec;
        this.trie = new AddedTokenTrie(files.addedTokensEncoder.keySet());
        CLIPTokenizerFiles.Special unk = files.specials.get("unk_token");
        this.unkVocabId = unk == null ? null : files.vocab.get(unk.content());
        CLIPTokenizerFiles.Special bos = files.specials.get("bos_token");
        CLIPTokenizerFiles.Special eos = files.specials.get("eos_token");
        if (bos == null || eos == null) {
            throw new IllegalArgumentException("tokenizer in " + files.dir + " needs bos_token and eos_token, got "
                    + bos + " and " + eos);
        }
        this.bosTokenId = tokenToId(bos.content());
        this.eosTokenId = tokenToId(eos.content());
        CLIPTokenizerFiles.Special pad = files.specials.get("pad_token");
        this.padTokenId = pad == null ? null : tokenToId(pad.content());
        this.unkTokenId = unk == null ? null : tokenToId(unk.content());
        Set<String> special = new HashSet<>();
        Set<Long> specialIds = new HashSet<>();
        for (CLIPTokenizerFiles.Special s : files.allSpecialTokensExtended()) {
            special.add(s.content());
            specialIds.add(tokenToId(s.content()));
        }
        this.allSpecialTokens = special;
        this.allSpecialIds = specialIds;
        Set<String> legacy = new HashSet<>(files.addedTokensEncoder.keySet());
        legacy.removeAll(special);
        for (CLIPTokenizerFiles.Special s : files.additionalSpecials) {
            if (tokenToId(s.content()) >= files.vocab.size()) {
                legacy.add(s.content());
            }
        }
        this.legacyAddedTokens = legacy;
        this.bpe = new BpeModel(files.vocab, files.merges);
    }

    /**
     * Loads a tokenizer folder ({@code <pipeline>/tokenizer}): {@code vocab.json} + {@code merges.txt} +
     * {@code tokenizer_config.json} (+ {@code special_tokens_map.json} for old configs). A {@code tokenizer.json} is
     * only used for what the slow tokenizer takes from it (legacy added tokens) or when vocab/merges files are missing;
     * its normalizer is never used.
     *
     * @throws IllegalArgumentException when the folder or its files are missing or malformed
     */
    public static CLIPTokenizer fromPretrained(Path tokenizerDir) {
        CLIPTokenizerFiles files;
        CLIPTokenizer tokenizer;
        try {
            files = CLIPTokenizerFiles.load(tokenizerDir);
            tokenizer = new CLIPTokenizer(files);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw e;
        } catch (RuntimeException e) {
            // a value of a kind the files should not hold (Gson accessors throw UnsupportedOperationException,
            // IllegalStateException, NumberFormatException...): the user's problem, said as such
            throw new IllegalArgumentException(tokenizerDir + ": the tokenizer files hold a value of an unexpected "
                    + "type or shape (" + e + ")", e);
        }
        LOG.debug("loaded CLIPTokenizer from {}: {} tokens, {} merges, {} added tokens, model_max_length {}",
                tokenizerDir, files.vocab.size(), files.merges.size(), files.addedTokensDecoder.size(),
                files.modelMaxLength);
        return tokenizer;
    }

    /**
     * diffusers' {@code tokenizer(prompts, padding="max_length", max_length=model_max_length, truncation=True)}.
     * When a prompt is longer than {@code model_max_length} tokens it is truncated and diffusers' warning is logged
     * with the removed text; this never throws for long prompts.
     */
    public TokenizerOutput encode(List<String> prompts) {
        int max = files.modelMaxLength;
        long pad = requirePad();
        long[][] ids = new long[prompts.size()][];
        long[][] mask = new long[prompts.size()][];
        List<long[]> untruncated = new ArrayList<>(prompts.size());
        boolean truncated = false;
        for (int p = 0; p < prompts.size(); p++) {
            String prompt = prompts.get(p);
            if (prompt == null) {
                throw new IllegalArgumentException("prompt " + p + " is null");
            }
            long[] full = withSpecialTokens(textIds(prompt));
            untruncated.add(full);
            truncated |= full.length > max;
            long[] body = truncate(Arrays.copyOfRange(full, 1, full.length - 1), max);
            long[] row = withSpecialTokens(body);
            ids[p] = new long[max];
            mask[p] = new long[max];
            int padCount = max - row.length;
            int offset = files.paddingSide.equals("left") ? padCount : 0;
            int padStart = files.paddingSide.equals("left") ? 0 : row.length;
            Arrays.fill(ids[p], padStart, padStart + padCount, pad);
            System.arraycopy(row, 0, ids[p], offset, row.length);
            Arrays.fill(mask[p], offset, offset + row.length, 1L);
        }
        if (truncated) {
            warnTruncated(untruncated, pad);
        }
        return new TokenizerOutput(ids, mask);
    }

    /** {@link #encode(List)} for one prompt. */
    public TokenizerOutput encode(String prompt) {
        return encode(List.of(prompt));
    }

    /**
     * The ids without truncation or padding, bos and eos included: {@code tokenizer(prompt, padding="longest")}
     * for a single prompt (diffusers compares it with the truncated ids to warn).
     */
    public long[] untruncatedIds(String prompt) {
        return withSpecialTokens(textIds(prompt));
    }

    /** {@code tokenizer.tokenize(text)}: the BPE token strings (and literal added tokens), without bos/eos. */
    public List<String> tokenize(String text) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return tokenStrings(text);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@code tokenizer.decode(ids)} (special tokens kept). */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    /**
     * {@code tokenizer.decode(ids, skip_special_tokens=...)}: tokens joined, byte-level characters turned back into
     * UTF-8 (invalid sequences handled per the config's {@code errors}, "replace" by default), {@code </w>} turned into
     * spaces, added tokens that are not special kept as separate words, and transformers' tokenization-space cleanup
     * ({@code " ." -> "."}, {@code " 's" -> "'s"}, ...) when {@code clean_up_tokenization_spaces} is on.
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        List<String> filtered = new ArrayList<>(ids.length);
        for (long id : ids) {
            if (skipSpecialTokens && allSpecialIds.contains(id)) {
                continue;
            }
            AddedToken added = id >= Integer.MIN_VALUE && id <= Integer.MAX_VALUE
                    ? files.addedTokensDecoder.get((int) id) : null;
            String token = added != null ? added.content() : decoder.get((int) id);
            if (token == null || id != (int) id) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of "
                        + files.dir + " (" + files.vocab.size() + " tokens)");
            }
            filtered.add(token);
        }
        List<String> subTexts = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String token : filtered) {
            if (skipSpecialTokens && allSpecialTokens.contains(token)) {
                continue;
            }
            if (legacyAddedTokens.contains(token)) {
                if (!current.isEmpty()) {
                    String s = tokensToString(current);
                    if (!s.isEmpty()) {
                        subTexts.add(s);
                    }
                    current.clear();
                }
                subTexts.add(token);
            } else {
                current.add(token);
            }
        }
        if (!current.isEmpty()) {
            subTexts.add(tokensToString(current));
        }
        String text = String.join(" ", subTexts);
        return files.cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
    }

    /** Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json (transformers-loadable). */
    public void savePretrained(Path dir) throws IOException {
        files.save(dir);
    }

    /** {@code tokenizer.model_max_length} (77 for CLIP). */
    public int modelMaxLength() {
        return files.modelMaxLength;
    }

    /** {@code tokenizer.pad_token_id}: 49407 for SD-1.x, 0 ("!") for SD-2.x checkpoints. */
    public long padTokenId() {
        return requirePad();
    }

    /** {@code tokenizer.bos_token_id} (49406). */
    public long bosTokenId() {
        return bosTokenId;
    }

    /** {@code tokenizer.eos_token_id} (49407). */
    public long eosTokenId() {
        return eosTokenId;
    }

    /** {@code tokenizer.unk_token_id}. */
    public long unkTokenId() {
        if (unkTokenId == null) {
            throw new IllegalStateException("tokenizer in " + files.dir + " has no unk_token");
        }
        return unkTokenId;
    }

    /**
     * transformers' {@code add_tokens(tokens)} of a slow tokenizer (not special): each token not yet an added token
     * becomes one ({@code AddedToken(token, normalized=True, special=False)}, matched literally and case-sensitively
     * before normalization, as CLIPTokenizer has no {@code do_lower_case}), with the next id ({@code len(tokenizer)})
     * unless vocab.json already has it. Returns how many ids were added. Not safe while other threads tokenize.
     */
    public int addTokens(List<String> tokens) {
        lock.writeLock().lock();
        try {
            ensureOpen();
            Set<String> current = new HashSet<>(files.vocab.keySet());
            current.addAll(files.addedTokensEncoder.keySet());
            int next = current.size();
            int added = 0;
            Set<String> legacy = new HashSet<>(legacyAddedTokens);
            for (String token : tokens) {
                if (token == null || token.isEmpty() || files.addedTokensEncoder.containsKey(token)) {
                    continue;
                }
                AddedToken addedToken = AddedToken.of(token, false);
                Integer id = files.vocab.get(token);
                if (id == null) {
                    id = next + added++;
                }
                files.addedTokensDecoder.put(id, addedToken);
                files.addedTokensEncoder.put(token, id);
                legacy.add(token);
            }
            trie = new AddedTokenTrie(files.addedTokensEncoder.keySet());
            legacyAddedTokens = Set.copyOf(legacy);
            return added;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Removes added tokens again (the inverse of {@link #addTokens}, as diffusers' {@code unload_textual_inversion}
     * deletes them from {@code _added_tokens_decoder} / {@code _added_tokens_encoder}). Only the tokens with the
     * highest ids can go, so that no remaining id moves: anything else is refused with nothing changed. Not safe
     * while other threads tokenize.
     */
    public void removeAddedTokens(List<String> tokens) {
        lock.writeLock().lock();
        try {
            ensureOpen();
            Set<Integer> ids = new HashSet<>();
            for (String token : tokens) {
                Integer id = files.addedTokensEncoder.get(token);
                if (id == null || files.addedTokensDecoder.get(id).special() || files.vocab.containsKey(token)) {
                    throw new IllegalArgumentException("'" + token + "' is not a non-special added token of this "
                            + "tokenizer");
                }
                ids.add(id);
            }
            int length = length();
            for (int id = length - ids.size(); id < length; id++) {
                if (!ids.contains(id)) {
                    throw new IllegalArgumentException("only the most recently added tokens can be removed: id " + id
                            + " would stay above the removed ones");
                }
            }
            Set<String> legacy = new HashSet<>(legacyAddedTokens);
            for (String token : tokens) {
                files.addedTokensDecoder.remove(files.addedTokensEncoder.remove(token));
                legacy.remove(token);
            }
            trie = new AddedTokenTrie(files.addedTokensEncoder.keySet());
            legacyAddedTokens = Set.copyOf(legacy);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** {@code len(tokenizer)}: vocab.json's tokens plus the added tokens it does not hold. */
    public int length() {
        lock.readLock().lock();
        try {
            Set<String> all = new HashSet<>(files.vocab.keySet());
            all.addAll(files.addedTokensEncoder.keySet());
            return all.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@code token in tokenizer.get_vocab()}: a vocab.json token or an added token. */
    public boolean inVocabulary(String token) {
        return files.vocab.containsKey(token) || files.addedTokensEncoder.containsKey(token);
    }

    /** The added tokens that are not special (textual-inversion tokens, ...), in id order. */
    public List<String> nonSpecialAddedTokens() {
        List<String> out = new ArrayList<>();
        new TreeMap<>(files.addedTokensDecoder).forEach((id, t) -> {
            if (!t.special()) {
                out.add(t.content());
            }
        });
        return out;
    }

    /** {@code token in tokenizer.added_tokens_encoder} (special tokens included). */
    public boolean isAddedToken(String token) {
        return files.addedTokensEncoder.containsKey(token);
    }

    /** {@code tokenizer.vocab_size}: entries of vocab.json (49408), added tokens not counted. */
    public int vocabSize() {
        return files.vocab.size();
    }

    /** The pad token text ("&lt;|endoftext|&gt;" or "!"), or null when the tokenizer has none. */
    public String padToken() {
        CLIPTokenizerFiles.Special pad = files.specials.get("pad_token");
        return pad == null ? null : pad.content();
    }

    /** The id of a token string the way {@code convert_tokens_to_ids} finds it (added tokens, vocab, unk). */
    public long convertTokenToId(String token) {
        return tokenToId(token);
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                bpe.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- internals ----

    private long requirePad() {
        if (padTokenId == null) {
            throw new IllegalArgumentException("tokenizer in " + files.dir + " has no pad_token; padding to"
                    + " max_length needs one");
        }
        return padTokenId;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("CLIPTokenizer for " + files.dir + " is closed");
        }
    }

    private long[] withSpecialTokens(long[] body) {
        long[] out = new long[body.length + 2];
        out[0] = bosTokenId;
        System.arraycopy(body, 0, out, 1, body.length);
        out[out.length - 1] = eosTokenId;
        return out;
    }

    /** prepare_for_model truncation (longest_first on one sequence): keep room for bos and eos. */
    private long[] truncate(long[] body, int max) {
        int remove = body.length + 2 - max;
        if (remove <= 0) {
            return body;
        }
        return files.truncationSide.equals("left")
                ? Arrays.copyOfRange(body, remove, body.length)
                : Arrays.copyOf(body, body.length - remove);
    }

    private long[] textIds(String text) {
        List<String> tokens = tokenize(text);
        long[] ids = new long[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenToId(tokens.get(i));
        }
        return ids;
    }

    /** _convert_token_to_id_with_added_voc: added tokens first, then the vocab, then the unk token's vocab id. */
    private long tokenToId(String token) {
        Integer id = files.addedTokensEncoder.get(token);
        if (id == null) {
            id = files.vocab.get(token);
        }
        if (id == null) {
            id = unkVocabId;
        }
        if (id == null) {
            throw new IllegalArgumentException("token '" + token + "' is not in the vocabulary of " + files.dir
                    + " and there is no unk_token in it");
        }
        return id;
    }

    /** PreTrainedTokenizer.tokenize: split out added tokens, apply their strip flags, _tokenize the rest. */
    private List<String> tokenStrings(String text) {
        List<String> segments = trie.split(text);
        for (int i = 0; i < segments.size(); i++) {
            String segment = segments.get(i);
            Integer index = files.addedTokensEncoder.get(segment);
            if (index == null) {
                continue;
            }
            AddedToken token = files.addedTokensDecoder.get(index);
            String left = i > 0 ? segments.get(i - 1) : null;
            String right = i < segments.size() - 1 ? segments.get(i + 1) : null;
            if (token.rstrip() && right != null && !right.isEmpty()) {
                segments.set(i + 1, PythonUnicode.lstrip(right));
            }
            if (token.lstrip() && left != null && !left.isEmpty()) {
                segments.set(i - 1, PythonUnicode.rstrip(left));
            }
            if (token.singleWord() && left != null && !left.isEmpty() && !endsWithSpace(left)) {
                segments.set(i - 1, segments.get(i - 1) + segment);
                segments.set(i, "");
            } else if (token.singleWord() && right != null && !right.isEmpty() && !right.startsWith(" ")) {
                segments.set(i + 1, segment + segments.get(i + 1));
                segments.set(i, "");
            }
        }
        // one BPE call per text: slots hold either a finished token or the index of a word to BPE
        List<String> fixed = new ArrayList<>();
        List<Integer> wordSlots = new ArrayList<>();
        List<String> words = new ArrayList<>();
        for (String segment : segments) {
            if (segment.isEmpty()) {
                continue;
            }
            if (files.addedTokensEncoder.containsKey(segment)) {
                fixed.add(segment);
                wordSlots.add(-1);
                continue;
            }
            String normalized = String.join(" ", BasicTokenizer.tokenize(segment));
            for (String word : ClipPattern.findAll(normalized)) {
                String encoded = ClipPattern.byteEncode(word);
                if (BPE_CACHE.contains(encoded)) {
                    fixed.add(encoded);
                    wordSlots.add(-1);
                } else {
                    fixed.add(null);
                    wordSlots.add(words.size());
                    words.add(encoded);
                }
            }
        }
        List<List<String>> pieces = bpe.encode(words);
        List<String> out = new ArrayList<>(fixed.size() + words.size());
        for (int s = 0; s < fixed.size(); s++) {
            int w = wordSlots.get(s);
            if (w < 0) {
                out.add(fixed.get(s));
            } else {
                out.addAll(pieces.get(w));
            }
        }
        return out;
    }

    private static boolean endsWithSpace(String s) {
        return s.endsWith(" ");
    }

    /** CLIPTokenizer.convert_tokens_to_string. */
    private String tokensToString(List<String> tokens) {
        byte[] bytes = ClipPattern.byteDecode(String.join("", tokens));
        String text = decodeUtf8(bytes).replace("</w>", " ");
        return PythonUnicode.strip(text);
    }

    private String decodeUtf8(byte[] bytes) {
        CodingErrorAction action = switch (files.errors) {
            case "strict" -> CodingErrorAction.REPORT;
            case "ignore" -> CodingErrorAction.IGNORE;
            default -> CodingErrorAction.REPLACE;
        };
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(action).onUnmappableCharacter(action).replaceWith("\uFFFD");
        try {
            CharBuffer chars = utf8.decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("token bytes are not valid UTF-8 (errors='strict'): "
                    + Arrays.toString(bytes), e);
        }
    }

    /** PreTrainedTokenizerBase.clean_up_tokenization. */
    static String cleanUpTokenization(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    private void warnTruncated(List<long[]> untruncated, long pad) {
        // diffusers: batch_decode(untruncated_ids[:, model_max_length - 1 : -1]) with "longest" padding
        int longest = 0;
        for (long[] row : untruncated) {
            longest = Math.max(longest, row.length);
        }
        int max = files.modelMaxLength;
        List<String> removed = new ArrayList<>();
        for (long[] row : untruncated) {
            long[] padded = new long[longest];
            Arrays.fill(padded, pad);
            int offset = files.paddingSide.equals("left") ? longest - row.length : 0;
            System.arraycopy(row, 0, padded, offset, row.length);
            removed.add(decode(Arrays.copyOfRange(padded, max - 1, longest - 1)));
        }
        LOG.warn("The following part of your input was truncated because CLIP can only handle sequences up to {}"
                + " tokens: {}", max, pythonListRepr(removed));
    }

    private static String pythonListRepr(List<String> items) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            String s = items.get(i);
            char quote = s.contains("'") && !s.contains("\"") ? '"' : '\'';
            out.append(quote);
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                if (c == '\\' || c == quote) {
                    out.append('\\').append(c);
                } else if (c == '\n') {
                    out.append("\\n");
                } else if (c == '\t') {
                    out.append("\\t");
                } else if (c == '\r') {
                    out.append("\\r");
                } else {
                    out.append(c);
                }
            }
            out.append(quote);
        }
        return out.append(']').toString();
    }
}

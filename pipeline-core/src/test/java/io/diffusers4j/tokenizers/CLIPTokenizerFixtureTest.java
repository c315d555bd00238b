// Parity of CLIPTokenizer with transformers' slow CLIPTokenizer on the tiny-sd fixture's 15 tokenizer prompts.
package io.diffusers4j.tokenizers;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fixture case {@code tiny-sd_tokenizer}: ids ({@code tiny-sd_tokenizer_ids.npy} and the manifest), attention
 * masks, BPE tokens and untruncated lengths, all produced by transformers 4.45's slow CLIPTokenizer without ftfy.
 */
class CLIPTokenizerFixtureTest {
    private static CLIPTokenizer tokenizer;
    private static JsonArray prompts;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = CLIPTokenizer.fromPretrained(Fixtures.tinySd().resolve("tokenizer"));
        JsonObject manifest = JsonParser.parseString(
                Files.readString(Fixtures.expected("manifest.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        for (JsonElement c : manifest.getAsJsonArray("cases")) {
            if (c.getAsJsonObject().get("name").getAsString().equals("tiny-sd_tokenizer")) {
                prompts = c.getAsJsonObject().getAsJsonArray("prompts");
            }
        }
        assertEquals(15, prompts.size(), "fixture prompt count");
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void batchIdsEqualTheReferenceArray() {
        Npy.Array expected = Fixtures.npy("tiny-sd_tokenizer_ids.npy");
        assertArrayEquals(new long[] {15, 77}, expected.shape());
        TokenizerOutput out = tokenizer.encode(promptTexts());
        assertEquals(15, out.batchSize());
        assertEquals(77, out.sequenceLength());
        assertArrayEquals(expected.longs(), out.flatInputIds());
    }

    @Test
    void eachPromptMatchesIdsMaskTokensAndUntruncatedLength() {
        for (JsonElement e : prompts) {
            JsonObject p = e.getAsJsonObject();
            String name = p.get("name").getAsString();
            String prompt = p.get("prompt").getAsString();
            TokenizerOutput out = tokenizer.encode(prompt);
            assertArrayEquals(longs(p.getAsJsonArray("input_ids")), out.inputIds()[0], name + " input_ids");
            assertArrayEquals(longs(p.getAsJsonArray("attention_mask")), out.attentionMask()[0],
                    name + " attention_mask");
            List<String> tokens = new ArrayList<>();
            tokens.add("<|startoftext|>");
            tokens.addAll(tokenizer.tokenize(prompt));
            tokens.add("<|endoftext|>");
            assertEquals(strings(p.getAsJsonArray("tokens")), tokens, name + " tokens");
            assertEquals(p.get("untruncated_length").getAsInt(), tokenizer.untruncatedIds(prompt).length,
                    name + " untruncated length");
        }
    }

    @Test
    void attributesOfTheSd15Tokenizer() {
        assertEquals(77, tokenizer.modelMaxLength());
        assertEquals(49407, tokenizer.padTokenId());
        assertEquals(49406, tokenizer.bosTokenId());
        assertEquals(49407, tokenizer.eosTokenId());
        assertEquals(49407, tokenizer.unkTokenId());
        assertEquals(49408, tokenizer.vocabSize());
        assertEquals("<|endoftext|>", tokenizer.padToken());
    }

    @Test
    void longPromptKeepsBosFirst75TokensAndEos() {
        JsonObject longCase = null;
        for (JsonElement e : prompts) {
            if (e.getAsJsonObject().get("name").getAsString().equals("long_100_words")) {
                longCase = e.getAsJsonObject();
            }
        }
        String prompt = longCase.get("prompt").getAsString();
        long[] full = tokenizer.untruncatedIds(prompt);
        long[] row = tokenizer.encode(prompt).inputIds()[0];
        assertEquals(127, full.length);
        for (int i = 0; i < 76; i++) {
            assertEquals(full[i], row[i], "position " + i);
        }
        assertEquals(49407, row[76]);
    }

    private static List<String> promptTexts() {
        List<String> texts = new ArrayList<>();
        for (JsonElement e : prompts) {
            texts.add(e.getAsJsonObject().get("prompt").getAsString());
        }
        return texts;
    }

    static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.getAsString()));
        return out;
    }
}

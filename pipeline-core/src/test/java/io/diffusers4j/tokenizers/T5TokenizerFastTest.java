// T5TokenizerFast against transformers' T5TokenizerFast (the Rust tokenizers) on edge-case prompts, exactly.
package io.diffusers4j.tokenizers;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of {@code reference-flow/t5/tokenizer_cases.json} (recorded by {@code scripts/reference/gen_t5.py}
 * with transformers d6751d91 and tokenizers 0.22.2 on the tiny tokenizer {@code reference-flow/t5-tokenizer}):
 * ids, attention masks, the untruncated {@code padding="longest"} ids, diffusers' truncation warning and its
 * removed text, and {@code batch_decode}, all compared exactly.
 */
class T5TokenizerFastTest {
    private static T5TokenizerFast tokenizer;
    private static JsonObject recorded;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = T5TokenizerFast.fromPretrained(Fixtures.t5Tokenizer());
        recorded = JsonParser.parseString(Files.readString(Fixtures.referenceFlowT5().resolve("tokenizer_cases.json"),
                StandardCharsets.UTF_8)).getAsJsonObject();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static List<JsonObject> cases() {
        List<JsonObject> out = new ArrayList<>();
        recorded.getAsJsonArray("cases").forEach(e -> out.add(e.getAsJsonObject()));
        return out;
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    private static long[][] ids(JsonArray rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            JsonArray row = rows.get(i).getAsJsonArray();
            out[i] = new long[row.size()];
            for (int j = 0; j < row.size(); j++) {
                out[i][j] = row.get(j).getAsLong();
            }
        }
        return out;
    }

    @Test
    void tokenizerFacts() {
        assertEquals(recorded.get("len_tokenizer").getAsInt(), tokenizer.vocabSize());
        assertEquals(recorded.get("model_max_length").getAsInt(), tokenizer.modelMaxLength());
        assertEquals(0, tokenizer.padTokenId());
        assertEquals(1, tokenizer.eosTokenId());
        assertTrue(cases().size() >= 30, "cases recorded: " + cases().size());
    }

    @Test
    void idsAndMasksEqualTransformers() {
        for (JsonObject c : cases()) {
            String name = c.get("name").getAsString();
            List<String> prompts = strings(c.getAsJsonArray("prompts"));
            int maxLength = c.getAsJsonObject("call").get("max_length").getAsInt();
            TokenizerOutput out = tokenizer.encodeWithMask(prompts, maxLength);
            long[][] expected = ids(c.getAsJsonArray("input_ids"));
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], out.inputIds()[i], name + " prompt " + i + " input_ids");
            }
            assertEquals(expected.length, out.inputIds().length, name);
            long[][] mask = ids(c.getAsJsonArray("attention_mask"));
            for (int i = 0; i < mask.length; i++) {
                assertArrayEquals(mask[i], out.attentionMask()[i], name + " prompt " + i + " attention_mask");
            }
            long[][] plain = tokenizer.encode(prompts, maxLength);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], plain[i], name + " encode()");
            }
        }
    }

    @Test
    void untruncatedIdsEqualTransformersLongestPadding() {
        for (JsonObject c : cases()) {
            String name = c.get("name").getAsString();
            long[][] expected = ids(c.getAsJsonArray("untruncated_ids"));
            long[][] actual = tokenizer.untruncatedIds(strings(c.getAsJsonArray("prompts")));
            assertEquals(expected.length, actual.length, name);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], actual[i], name + " prompt " + i + " untruncated ids");
            }
        }
    }

    @Test
    void removedTextIsWhatDiffusersLogs() {
        int checked = 0;
        for (JsonObject c : cases()) {
            String name = c.get("name").getAsString();
            List<String> prompts = strings(c.getAsJsonArray("prompts"));
            int maxLength = c.getAsJsonObject("call").get("max_length").getAsInt();
            boolean warns = c.get("diffusers_warns").getAsBoolean();
            JsonObject removed = c.getAsJsonObject("removed_text");
            int clipStart = recorded.get("clip_slice_start").getAsInt();
            for (int start : new int[] {maxLength - 1, clipStart}) {
                Optional<List<String>> actual = tokenizer.removedText(prompts, maxLength, start);
                assertEquals(warns, actual.isPresent(), name + ": diffusers' truncation warning");
                if (warns) {
                    assertEquals(strings(removed.getAsJsonArray(Integer.toString(start))), actual.get(),
                            name + " removed text from " + start);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 10, "truncated cases checked: " + checked);
    }

    @Test
    void batchDecodeEqualsTransformers() {
        for (JsonObject c : cases()) {
            assertEquals(strings(c.getAsJsonArray("decoded")), tokenizer.batchDecode(ids(c.getAsJsonArray("input_ids"))),
                    c.get("name").getAsString());
        }
    }

    @Test
    void maxLengthIsBounded() {
        List<String> p = List.of("a cat");
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(p, 0));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(p, -5));
        String message = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encode(p, T5TokenizerFast.MAX_LENGTH + 1)).getMessage();
        assertTrue(message.contains("max_length"), message);
        assertEquals(T5TokenizerFast.MAX_LENGTH, tokenizer.encode(p, T5TokenizerFast.MAX_LENGTH)[0].length);
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(Arrays.asList("a", null), 8));
    }

    @Test
    void aFolderWithOnlySpieceModelIsRefusedNamingIt(@TempDir Path dir) throws IOException {
        Files.copy(Fixtures.t5Tokenizer().resolve("spiece.model"), dir.resolve("spiece.model"));
        Files.copy(Fixtures.t5Tokenizer().resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        String message = assertThrows(IllegalArgumentException.class, () -> T5TokenizerFast.fromPretrained(dir))
                .getMessage();
        assertTrue(message.contains("spiece.model") && message.contains("tokenizer.json"), message);
        assertTrue(message.startsWith(dir.toString()), message);
    }

    @Test
    void aTokenizerJsonWithoutT5sTemplateIsRefused(@TempDir Path dir) throws IOException {
        JsonObject json = JsonParser.parseString(Files.readString(Fixtures.t5Tokenizer().resolve("tokenizer.json"),
                StandardCharsets.UTF_8)).getAsJsonObject();
        json.add("post_processor", JsonNull.INSTANCE);
        Files.writeString(dir.resolve("tokenizer.json"), json.toString());
        String message = assertThrows(IllegalArgumentException.class, () -> T5TokenizerFast.fromPretrained(dir))
                .getMessage();
        assertTrue(message.contains("post_processor") && message.contains("tokenizer.json"), message);
    }

    @Test
    void closedTokenizerRefusesCalls() {
        T5TokenizerFast t = T5TokenizerFast.fromPretrained(Fixtures.t5Tokenizer());
        assertEquals(4, t.encode(List.of("a"), 4)[0].length);
        t.close();
        t.close();
        assertThrows(IllegalStateException.class, () -> t.encode(List.of("a"), 4));
        assertFalse(t.directory().toString().isEmpty());
    }

    @Test
    void cleanUpTokenizationIsTransformers() {
        assertEquals("Hello, world! Isn't it? I'm here. We've, they're, it's", T5TokenizerFast.cleanUpTokenization(
                "Hello , world ! Is n't it ? I 'm here . We 've , they 're , it 's"));
    }
}

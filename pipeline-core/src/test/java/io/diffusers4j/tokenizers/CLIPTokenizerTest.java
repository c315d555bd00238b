// Behaviour of CLIPTokenizer around loading, saving, warnings, threads and closing.
package io.diffusers4j.tokenizers;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CLIPTokenizerTest {
    private static final Path FIXTURE = Fixtures.tinySd().resolve("tokenizer");
    private static JsonObject edgeCases;
    private static CLIPTokenizer sd15;

    @BeforeAll
    static void load() throws IOException {
        edgeCases = CLIPTokenizerEdgeCaseTest.load();
        sd15 = CLIPTokenizer.fromPretrained(FIXTURE);
    }

    @AfterAll
    static void close() {
        sd15.close();
    }

    @Test
    void sd2StyleFolderPadsWithIdZeroAndSplitsLiteralBang() {
        try (CLIPTokenizer sd2 = CLIPTokenizer.fromPretrained(CLIPTokenizerEdgeCaseTest.folderFor(suite("sd2_pad_bang")))) {
            assertEquals(0, sd2.padTokenId());
            assertEquals("!", sd2.padToken());
            assertEquals(49406, sd2.bosTokenId());
            assertEquals(49407, sd2.eosTokenId());
            long[] row = sd2.encode("a cat").inputIds()[0];
            assertArrayEquals(new long[] {49406, 320, 2368, 49407, 0, 0}, Arrays.copyOf(row, 6));
            // "!" is the pad token, hence an added token: cut out and mapped to 0 (not BPE'd to "!</w>" = 256)
            assertEquals(List.of("hello</w>", "!"), sd2.tokenize("hello!"));
            assertEquals(List.of("hello</w>", "!</w>"), sd15.tokenize("hello!"));
        }
    }

    @Test
    void longPromptsAreTruncatedWithDiffusersWarningAndNeverThrow() {
        String longPrompt = "a red fox " .repeat(40) + "THE END";
        List<String> prompts = List.of("short prompt", longPrompt);
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        TokenizerOutput out;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            out = sd15.encode(prompts);
        } finally {
            System.setErr(original);
        }
        assertEquals(2, out.batchSize());
        assertEquals(77, out.inputIds()[1].length);
        assertEquals(49407, out.inputIds()[1][76]);
        long[] mask = out.attentionMask()[1];
        for (long m : mask) {
            assertEquals(1, m);
        }
        assertEquals(40 * 3 + 2 + 2, sd15.untruncatedIds(longPrompt).length);
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("The following part of your input was truncated because CLIP can only handle"
                + " sequences up to 77 tokens"), log);
        assertTrue(log.contains("fox the end"), log);
        // prompts that fit log nothing
        captured.reset();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            sd15.encode(List.of("a cat", "a dog"));
        } finally {
            System.setErr(original);
        }
        assertFalse(captured.toString(StandardCharsets.UTF_8).contains("truncated"));
    }

    @Test
    void batchRowsEqualSingleCalls() {
        List<String> prompts = new ArrayList<>();
        for (JsonElement c : suite("sd15").getAsJsonArray("cases")) {
            prompts.add(c.getAsJsonObject().get("prompt").getAsString());
        }
        TokenizerOutput batch = sd15.encode(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            TokenizerOutput single = sd15.encode(prompts.get(i));
            assertArrayEquals(single.inputIds()[0], batch.inputIds()[i], prompts.get(i));
            assertArrayEquals(single.attentionMask()[0], batch.attentionMask()[i], prompts.get(i));
        }
        assertEquals(prompts.size() * 77, batch.flatAttentionMask().length);
    }

    @Test
    void savePretrainedWritesTheFilesTransformersWrites(@TempDir Path out) throws IOException {
        sd15.savePretrained(out);
        // vocab.json and merges.txt byte for byte as transformers' save_vocabulary wrote the fixture's
        assertArrayEquals(Files.readAllBytes(FIXTURE.resolve("vocab.json")), Files.readAllBytes(out.resolve("vocab.json")));
        assertArrayEquals(Files.readAllBytes(FIXTURE.resolve("merges.txt")), Files.readAllBytes(out.resolve("merges.txt")));
        assertEquals(Files.readString(FIXTURE.resolve("tokenizer_config.json")),
                Files.readString(out.resolve("tokenizer_config.json")));
        JsonObject map = JsonParser.parseString(Files.readString(out.resolve("special_tokens_map.json"))).getAsJsonObject();
        assertEquals("<|startoftext|>", map.getAsJsonObject("bos_token").get("content").getAsString());
        assertEquals("<|endoftext|>", map.getAsJsonObject("pad_token").get("content").getAsString());
        try (CLIPTokenizer reloaded = CLIPTokenizer.fromPretrained(out)) {
            sameOnAllCases(reloaded, suite("sd15"));
        }
    }

    @Test
    void savedSd2AndAddedTokenFoldersReloadWithTheSameBehaviour(@TempDir Path out) throws IOException {
        for (String name : List.of("sd2_pad_bang", "added_tokens")) {
            JsonObject suite = suite(name);
            Path dir = out.resolve(name);
            try (CLIPTokenizer original = CLIPTokenizer.fromPretrained(CLIPTokenizerEdgeCaseTest.folderFor(suite))) {
                original.savePretrained(dir);
            }
            JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("tokenizer_config.json")))
                    .getAsJsonObject();
            assertTrue(config.has("added_tokens_decoder"));
            try (CLIPTokenizer reloaded = CLIPTokenizer.fromPretrained(dir)) {
                sameOnAllCases(reloaded, suite);
            }
        }
        JsonObject sd2Config = JsonParser.parseString(
                Files.readString(out.resolve("sd2_pad_bang").resolve("tokenizer_config.json"))).getAsJsonObject();
        assertEquals("!", sd2Config.get("pad_token").getAsString());
        assertEquals("!", sd2Config.getAsJsonObject("added_tokens_decoder").getAsJsonObject("0").get("content")
                .getAsString());
    }

    @Test
    void folderWithOnlyTokenizerJsonUsesItsBpeModelButSlowNormalization(@TempDir Path dir) throws IOException {
        // a fast-tokenizer file: its normalizer/pre-tokenizer must be ignored (the slow tokenizer is the target)
        String vocab = Files.readString(FIXTURE.resolve("vocab.json"));
        JsonArray merges = new JsonArray();
        List<String> lines = Files.readAllLines(FIXTURE.resolve("merges.txt"));
        for (String line : lines.subList(1, lines.size())) {
            merges.add(line);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.addProperty("end_of_word_suffix", "</w>");
        model.add("vocab", JsonParser.parseString(vocab));
        model.add("merges", merges);
        JsonObject normalizer = new JsonObject();
        normalizer.addProperty("type", "NFC");
        JsonObject tokenizerJson = new JsonObject();
        tokenizerJson.add("normalizer", normalizer);
        tokenizerJson.add("added_tokens", new JsonArray());
        tokenizerJson.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson.toString());
        Files.copy(FIXTURE.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        try (CLIPTokenizer fromJson = CLIPTokenizer.fromPretrained(dir)) {
            sameOnAllCases(fromJson, suite("sd15"));
        }
    }

    @Test
    void legacyFolderTakesAddedTokensFromTokenizerJson(@TempDir Path dir) throws IOException {
        Files.copy(FIXTURE.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(FIXTURE.resolve("merges.txt"), dir.resolve("merges.txt"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 77}");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"added_tokens\": [{\"id\": 49408, \"content\": \"<sks>\","
                + " \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": true,"
                + " \"special\": false}]}");
        try (CLIPTokenizer tokenizer = CLIPTokenizer.fromPretrained(dir)) {
            assertEquals(List.of("a</w>", "<sks>", "dog</w>"), tokenizer.tokenize("a <sks> dog"));
            assertArrayEquals(new long[] {49406, 320, 49408, 1929, 49407}, tokenizer.untruncatedIds("a <sks> dog"));
            assertEquals(49407, tokenizer.padTokenId()); // CLIPTokenizer's default pad_token
            assertEquals("a <sks> dog", tokenizer.decode(tokenizer.untruncatedIds("a <sks> dog"), true));
        }
    }

    @Test
    void concurrentEncodesGiveTheSerialResults() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (JsonElement c : suite("sd15").getAsJsonArray("cases")) {
            prompts.add(c.getAsJsonObject().get("prompt").getAsString());
        }
        long[][] expected = sd15.encode(prompts).inputIds();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<long[][]>> futures = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                futures.add(pool.submit(() -> sd15.encode(prompts).inputIds()));
            }
            for (Future<long[][]> f : futures) {
                long[][] got = f.get();
                for (int i = 0; i < expected.length; i++) {
                    assertArrayEquals(expected[i], got[i]);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closedTokenizerRefusesToEncode() {
        CLIPTokenizer tokenizer = CLIPTokenizer.fromPretrained(FIXTURE);
        tokenizer.close();
        tokenizer.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> tokenizer.encode("a cat"));
    }

    @Test
    void badFoldersFailWithClearMessages(@TempDir Path dir) throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> CLIPTokenizer.fromPretrained(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("nope"));
        Files.copy(FIXTURE.resolve("vocab.json"), dir.resolve("vocab.json"));
        IllegalArgumentException noMerges = assertThrows(IllegalArgumentException.class,
                () -> CLIPTokenizer.fromPretrained(dir));
        assertTrue(noMerges.getMessage().contains("merges.txt"));
        Files.copy(FIXTURE.resolve("merges.txt"), dir.resolve("merges.txt"));
        IllegalArgumentException noMax = assertThrows(IllegalArgumentException.class,
                () -> CLIPTokenizer.fromPretrained(dir));
        assertTrue(noMax.getMessage().contains("model_max_length"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 77, \"pad_token\": null}");
        try (CLIPTokenizer noPad = CLIPTokenizer.fromPretrained(dir)) {
            assertArrayEquals(new long[] {49406, 320, 2368, 49407}, noPad.untruncatedIds("a cat"));
            assertThrows(IllegalArgumentException.class, () -> noPad.encode("a cat"));
        }
    }

    @Test
    void decodeSkipsSpecialTokensAndCleansUpSpaces() {
        // expected strings printed by transformers' slow decode logic (clean_up_tokenization_spaces=True)
        long[] ids = sd15.encode("a photo of a cat , isn't it ?").inputIds()[0];
        assertEquals("a photo of a cat, isn 't it?", sd15.decode(ids, true));
        assertTrue(sd15.decode(ids).startsWith("<|startoftext|>a photo of a cat, isn 't it? <|endoftext|><|endoftext|>"),
                sd15.decode(ids));
        // pieces of a cut multi-byte character decode to U+FFFD (errors="replace"), one per maximal invalid run
        long[] cjk = sd15.untruncatedIds("\u4e00 \u732b");
        assertArrayEquals(new long[] {49406, 19759, 478, 163, 234, 360, 49407}, cjk);
        assertEquals("\uFFFD", sd15.decode(new long[] {19759}, true));
        assertEquals("\uFFFD\uFFFD", sd15.decode(new long[] {19759, 163, 478}, true));
        assertEquals("\uFFFD", sd15.decode(new long[] {163, 234}, true));
        assertThrows(IllegalArgumentException.class, () -> sd15.decode(new long[] {49408}));
    }

    private static void sameOnAllCases(CLIPTokenizer tokenizer, JsonObject suite) {
        for (JsonElement c : suite.getAsJsonArray("cases")) {
            CLIPTokenizerEdgeCaseTest.check(tokenizer, c.getAsJsonObject());
        }
    }

    private static JsonObject suite(String name) {
        for (JsonElement s : edgeCases.getAsJsonArray("suites")) {
            if (s.getAsJsonObject().get("name").getAsString().equals(name)) {
                return s.getAsJsonObject();
            }
        }
        throw new IllegalArgumentException("no suite " + name);
    }
}

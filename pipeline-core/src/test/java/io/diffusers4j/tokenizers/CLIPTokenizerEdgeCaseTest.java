// Edge cases of CLIPTokenizer against reference outputs of transformers' slow CLIPTokenizer logic (clip_edge_cases.json).
package io.diffusers4j.tokenizers;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.diffusers4j.tokenizers.CLIPTokenizerFixtureTest.longs;
import static io.diffusers4j.tokenizers.CLIPTokenizerFixtureTest.strings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Control characters, tabs/newlines, Unicode spaces, zero-width characters, NFC vs NFD accents, emoji (including
 * Unicode 14 and 15 ones), CJK ideographs vs kana/Hangul, truncation of long prompts, empty prompts, literal special
 * tokens, apostrophes, digits, case mapping (İ, ß, final sigma), an SD-2-style folder (pad token "!") and added tokens
 * with lstrip/rstrip/single_word. Expected values: {@code clip_edge_cases.json}, produced by executing transformers
 * 4.45's slow-tokenizer code paths on the fixture's interpreter (CPython 3.11.2 + regex 2022.10.31), see its
 * "provenance"; that script reproduced all 15 fixture prompts before producing these.
 */
class CLIPTokenizerEdgeCaseTest {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    private static final List<CLIPTokenizer> OPEN = new ArrayList<>();

    @AfterAll
    static void closeAll() {
        OPEN.forEach(CLIPTokenizer::close);
    }

    @TestFactory
    List<DynamicContainer> referenceSuites() throws IOException {
        JsonObject root = load();
        List<DynamicContainer> suites = new ArrayList<>();
        for (JsonElement s : root.getAsJsonArray("suites")) {
            JsonObject suite = s.getAsJsonObject();
            CLIPTokenizer tokenizer = CLIPTokenizer.fromPretrained(folderFor(suite));
            OPEN.add(tokenizer);
            List<DynamicTest> tests = new ArrayList<>();
            for (JsonElement c : suite.getAsJsonArray("cases")) {
                JsonObject tc = c.getAsJsonObject();
                String name = tc.get("name").getAsString();
                tests.add(DynamicTest.dynamicTest(name, () -> check(tokenizer, tc)));
            }
            suites.add(DynamicContainer.dynamicContainer(suite.get("name").getAsString(), tests));
        }
        return suites;
    }

    static void check(CLIPTokenizer tokenizer, JsonObject tc) {
        String name = tc.get("name").getAsString();
        String prompt = tc.get("prompt").getAsString();
        assertEquals(strings(tc.getAsJsonArray("tokens")), tokenizer.tokenize(prompt), name + " tokens");
        TokenizerOutput out = tokenizer.encode(prompt);
        long[] ids = longs(tc.getAsJsonArray("input_ids"));
        assertArrayEquals(ids, out.inputIds()[0], name + " input_ids");
        assertArrayEquals(longs(tc.getAsJsonArray("attention_mask")), out.attentionMask()[0], name + " mask");
        assertEquals(tc.get("untruncated_length").getAsInt(), tokenizer.untruncatedIds(prompt).length,
                name + " untruncated length");
        assertEquals(tc.get("decoded").getAsString(), tokenizer.decode(ids), name + " decode");
        assertEquals(tc.get("decoded_skip_special").getAsString(), tokenizer.decode(ids, true),
                name + " decode(skip_special_tokens=True)");
    }

    static JsonObject load() throws IOException {
        try (InputStream in = CLIPTokenizerEdgeCaseTest.class.getResourceAsStream("clip_edge_cases.json")) {
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        }
    }

    /** The fixture tokenizer folder, or a temp folder with its vocab/merges and the suite's config files. */
    static Path folderFor(JsonObject suite) {
        Path fixture = Fixtures.tinySd().resolve("tokenizer");
        if (suite.get("tokenizer_config").isJsonNull()) {
            return fixture;
        }
        try {
            Path dir = Files.createTempDirectory("clip-" + suite.get("name").getAsString());
            dir.toFile().deleteOnExit();
            Files.copy(fixture.resolve("vocab.json"), dir.resolve("vocab.json"));
            Files.copy(fixture.resolve("merges.txt"), dir.resolve("merges.txt"));
            Files.writeString(dir.resolve("tokenizer_config.json"), GSON.toJson(suite.get("tokenizer_config")));
            Files.writeString(dir.resolve("special_tokens_map.json"), GSON.toJson(suite.get("special_tokens_map")));
            for (String f : List.of("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")) {
                dir.resolve(f).toFile().deleteOnExit();
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

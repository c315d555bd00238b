package io.diffusers4j.job.rows;

import io.diffusers4j.job.input.JsonlPromptReader;
import io.diffusers4j.job.input.RawRecord;
import io.diffusers4j.job.render.AdapterSet;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A row's loras / textual_inversions: every form a format gives, the bounds, and the file checks. */
class AdapterFieldsTest {
    private final RowValidator validator = new RowValidator(JobDefaults.diffusers());

    private static String adapter(String name) {
        return Fixtures.referenceLora().resolve("adapters").resolve(name).toString();
    }

    private PromptRow validate(Object... kv) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("prompt", "p");
        for (int i = 0; i < kv.length; i += 2) {
            fields.put((String) kv[i], kv[i + 1]);
        }
        return validator.validate(RawRecord.parsed("f.jsonl", 1, "raw", fields));
    }

    @Test
    void objectsStringsAndCsvTextGiveTheSameSet() {
        String peft = adapter("sd_peft.safetensors");
        String kohya = adapter("sd_kohya.safetensors");
        AdapterSet want = new AdapterSet(List.of(new AdapterSet.Lora(peft, 0.8), new AdapterSet.Lora(kohya, 1.0)),
                List.of(new AdapterSet.Embedding(adapter("ti_one.safetensors"), null),
                        new AdapterSet.Embedding(adapter("ti_three_a1111.safetensors"), "<tri>")));
        RawRecord json = JsonlPromptReader.parse("f.jsonl", 1, "{\"prompt\": \"p\", \"loras\": [{\"name\": \"" + peft
                + "\", \"scale\": 0.8}, \"" + kohya + "\"], \"textual_inversions\": [\"" + adapter("ti_one.safetensors")
                + "\", {\"name\": \"" + adapter("ti_three_a1111.safetensors") + "\", \"token\": \"<tri>\"}]}");
        PromptRow fromJson = validator.validate(json);
        assertNull(fromJson.error());
        assertEquals(want, fromJson.adapters());
        PromptRow fromCsv = validate("loras", peft + ":0.8," + kohya, "textual_inversions",
                adapter("ti_one.safetensors") + "," + adapter("ti_three_a1111.safetensors") + ":<tri>");
        assertNull(fromCsv.error());
        assertEquals(want, fromCsv.adapters());
        assertEquals(AdapterSet.NONE, validate().adapters());
        assertEquals(AdapterSet.NONE, validate("loras", List.of(), "textual_inversions", "").adapters());
    }

    @Test
    void badEntriesAreErrorRowsNamingTheValue(@TempDir Path dir) throws Exception {
        String kohya = adapter("sd_kohya.safetensors");
        assertTrue(validate("loras", List.of(Map.of("name", kohya, "scale", "strong"))).error()
                .contains("scale \"strong\" is not a finite float32 number"));
        assertTrue(validate("loras", List.of(Map.of("name", kohya, "scale", 1e39))).error()
                .contains("is not a finite float32 number"));
        assertTrue(validate("loras", List.of(Map.of("name", kohya, "weight", 1.0))).error()
                .contains("unknown key \"weight\""));
        assertTrue(validate("loras", List.of(Map.of("scale", 1.0))).error().contains("has no \"name\""));
        assertTrue(validate("loras", List.of(kohya, kohya + ":0.5")).error().contains("twice"));
        assertTrue(validate("loras", 3L).error().contains("loras 3 is not a list"));
        assertTrue(validate("loras", List.of(true)).error().contains("is neither text nor an object"));
        List<String> many = new ArrayList<>(Collections.nCopies(AdapterFields.MAX_PER_ROW + 1, kohya));
        assertTrue(validate("loras", many).error().contains("more than the " + AdapterFields.MAX_PER_ROW));
        assertTrue(validate("textual_inversions", List.of(Map.of("name", adapter("ti_one.safetensors"),
                "token", " "))).error().contains("the token is empty"));
        assertTrue(validate("loras", List.of("style.ckpt")).error().contains("pickle"));
        assertTrue(validate("loras", List.of(dir.resolve("gone.safetensors").toString())).error()
                .contains("gone.safetensors: no such file or folder"));
        Path broken = Files.writeString(dir.resolve("broken.safetensors"), "not a safetensors file");
        String error = validate("textual_inversions", List.of(broken.toString())).error();
        assertTrue(error.startsWith("textual_inversions \"") && error.contains("broken.safetensors"), error);
        // a Hub repo id is resolved on the executor
        assertNull(validate("loras", List.of("some-org/some-lora:0.7")).error());
        assertEquals(0.7, validate("loras", List.of("some-org/some-lora:0.7")).adapters().loras().get(0).scale());
    }
}

// Line parsers of the text formats (no Spark).
package io.diffusers4j.job.input;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptParsingTest {
    @Test
    void csvLineSplitting() {
        assertEquals(List.of("a", "b", ""), CsvLine.split("a,b,"));
        assertEquals(List.of(""), CsvLine.split(""));
        assertEquals(List.of("a, b", "say \"hi\"", "c"), CsvLine.split("\"a, b\",\"say \"\"hi\"\"\",c"));
        assertEquals(List.of("", ""), CsvLine.split(","));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CsvLine.split("a,\"b"))
                .getMessage().contains("unterminated quoted field starting at column 3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CsvLine.split("\"a\"b"))
                .getMessage().contains("column 4"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CsvLine.split("a\"b"))
                .getMessage().contains("quote inside an unquoted field"));
    }

    @Test
    void csvRecordAgainstHeader() {
        RawRecord r = CsvPromptReader.parse("prompt, seed ,id", "f.csv", 2, "a cat,,x");
        assertFalse(r.isMalformed());
        assertEquals("a cat", r.fields().get("prompt"));
        assertFalse(r.fields().containsKey("seed"), "empty = not given");
        assertEquals("x", r.fields().get("id"));
        assertTrue(CsvPromptReader.parse("a,a", "f.csv", 2, "1,2").malformedReason().contains("appears twice"));
        assertTrue(CsvPromptReader.parse(null, "f.csv", 2, "1,2").isMalformed());
    }

    @Test
    void jsonValuesKeepTheirKinds() {
        RawRecord r = JsonlPromptReader.parse("f.jsonl", 1,
                "{\"prompt\": \"p\", \"seed\": 3, \"guidance_scale\": 2.5, \"width\": null, \"x\": [1, \"a\"], \"b\": true,"
                        + " \"timesteps\": [999, 500.5], \"sigmas\": [],"
                        + " \"big\": 123456789012345678901234567890}");
        assertFalse(r.isMalformed());
        assertEquals(3L, r.fields().get("seed"));
        assertEquals(2.5, r.fields().get("guidance_scale"));
        assertFalse(r.fields().containsKey("width"), "null = not given");
        assertEquals("a JSON array", r.fields().get("x").toString());
        assertEquals(List.of(999L, 500.5), r.fields().get("timesteps"), "an array of numbers is a list");
        assertEquals(List.of(), r.fields().get("sigmas"));
        assertEquals(true, r.fields().get("b"));
        assertEquals("123456789012345678901234567890", r.fields().get("big"));
        assertTrue(JsonlPromptReader.parse("f", 1, "\"text\"").malformedReason().contains("not an object"));
        assertTrue(JsonlPromptReader.parse("f", 1, "{\"a\": NaN}").isMalformed());
    }

    @Test
    void jsonIsStrict() {
        for (String line : new String[] {
            // duplicate keys, also inside a field that is ignored
            "{\"prompt\": \"p\", \"prompt\": \"q\"}", "{\"prompt\": \"p\", \"x\": [{\"a\": 1, \"a\": 2}]}",
            // trailing text, two objects, a comment
            "{\"prompt\": \"p\"} extra", "{\"prompt\": \"p\"}{}", "{\"prompt\": \"p\"} // comment",
            // what only lenient parsers accept
            "{'prompt': 'p'}", "{prompt: \"p\"}", "{\"seed\": 01}", "{\"seed\": Infinity}", "{\"seed\": 1,}",
            // unescaped control characters, also inside a field that is ignored
            "{\"prompt\": \"a\tb\"}", "{\"x\": {\"a\": \"a\u0001b\"}}",
            // nested deeper than the parser allows, empty, cut short
            "{\"x\": " + "[".repeat(5000) + "]".repeat(5000) + "}", "", "{\"prompt\": ",
        }) {
            RawRecord r = JsonlPromptReader.parse("f.jsonl", 1, line);
            assertTrue(r.isMalformed(), line);
            assertTrue(r.malformedReason().startsWith("JSON: ") && r.malformedReason().length() < 200
                    && !r.malformedReason().contains("\n"), r.malformedReason());
        }
        assertEquals("JSON: Duplicate field 'prompt'",
                JsonlPromptReader.parse("f", 1, "{\"prompt\": \"p\", \"prompt\": \"q\"}").malformedReason());
        assertEquals("JSON: trailing text after the object",
                JsonlPromptReader.parse("f", 1, "{\"prompt\": \"p\"} extra").malformedReason());
        RawRecord ok = JsonlPromptReader.parse("f", 1,
                "{\"prompt\": \"caf\\u00e9 \\\"q\\\"\", \"seed\": -0, \"guidance_scale\": 1E+1, \"x\": {\"a\": [1, {}]}}");
        assertFalse(ok.isMalformed(), String.valueOf(ok.malformedReason()));
        assertEquals("caf\u00e9 \"q\"", ok.fields().get("prompt"));
        assertEquals(0L, ok.fields().get("seed"));
        assertEquals(10.0, ok.fields().get("guidance_scale"), "an exponent makes a double");
        assertEquals("a JSON object", ok.fields().get("x").toString());
    }

    @Test
    void formatsByExtension() {
        assertEquals(PromptFormat.JSONL, PromptFormat.byExtension("a.jsonl.gz").orElseThrow());
        assertEquals(PromptFormat.CSV, PromptFormat.byExtension("A.CSV").orElseThrow());
        assertEquals(PromptFormat.PARQUET, PromptFormat.byExtension("part-0.snappy.parquet").orElseThrow());
        assertEquals(PromptFormat.TEXT, PromptFormat.byExtension("p.txt").orElseThrow());
        assertTrue(PromptFormat.byExtension("p.data").isEmpty());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PromptFormat.parse("xml")).getMessage()
                .contains("jsonl, csv, parquet, text"));
    }
}

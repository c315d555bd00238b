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

// Every kind of bad input row becomes exactly one error row with its raw text; nothing is dropped.
package io.diffusers4j.job;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobMalformedRowsTest {
    @TempDir
    Path dir;

    @Test
    void jsonlEveryMalformedKindIsOneErrorRowWithRawText() {
        // line -> expected error fragment (null: ok)
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("{\"id\": \"ok1\", \"prompt\": \"fine\"}", null);
        lines.put("{\"id\": \"bad-json\", \"prompt\": ", "malformed JSON");
        lines.put("{\"id\": \"noprompt\", \"seed\": 1}", "missing required field \"prompt\"");
        lines.put("{\"id\": \"seedtext\", \"prompt\": \"p\", \"seed\": \"abc\"}", "seed \"abc\" is not an integer");
        lines.put("{\"id\": \"steps0\", \"prompt\": \"p\", \"num_inference_steps\": 0}",
                "num_inference_steps 0 is below 1");
        lines.put("{\"id\": \"w12\", \"prompt\": \"p\", \"width\": 12, \"height\": 16}",
                "`height` and `width` have to be divisible by 8 but are 16 and 12.");
        lines.put("{\"id\": \"huge\", \"prompt\": \"p\", \"width\": 4096}", "width 4096 exceeds max-size 2048");
        lines.put("{\"id\": \"nan\", \"prompt\": \"p\", \"guidance_scale\": \"NaN\"}",
                "guidance_scale \"NaN\" is not finite");
        lines.put("{\"id\": \"inf\", \"prompt\": \"p\", \"guidance_scale\": 1e400}", "is not finite");
        lines.put("{\"id\": \"gtext\", \"prompt\": \"p\", \"guidance_scale\": \"lots\"}",
                "guidance_scale \"lots\" is not a number");
        lines.put("[1, 2, 3]", "not an object");
        lines.put("{\"id\": \"neg\", \"prompt\": \"p\", \"seed\": -3}", "seed -3 is negative");
        lines.put("{\"id\": \"dup\", \"prompt\": \"a\", \"prompt\": \"b\"}", "Duplicate field");
        lines.put("{\"id\": \"imgs\", \"prompt\": \"p\", \"num_images_per_prompt\": 0}",
                "num_images_per_prompt 0 is below 1");
        lines.put("{\"id\": \"blank\", \"prompt\": \"   \"}", null); // a prompt, as in diffusers
        lines.put("{\"id\": \"nullprompt\", \"prompt\": null}", "missing required field \"prompt\"");
        lines.put("{\"id\": \"frac\", \"prompt\": \"p\", \"num_inference_steps\": 2.5}",
                "num_inference_steps 2.5 is not an integer");
        lines.put("{\"id\": \"obj\", \"prompt\": {\"text\": \"p\"}}", "prompt a JSON object is not text");
        lines.put("{\"id\": \"trail\", \"prompt\": \"p\"} extra", "malformed JSON");
        lines.put("{\"id\": \"many\", \"prompt\": \"p\", \"seed\": \"x\", \"width\": -8}",
                "width -8 is below 1; seed \"x\" is not an integer");

        String[] file = new String[lines.size() + 2];
        int i = 0;
        for (String l : lines.keySet()) {
            file[i++] = l;
            if (i == 3) {
                file[i++] = "";      // blank lines are not rows
                file[i++] = "   ";
            }
        }
        Path in = JobHarness.write(dir, "bad.jsonl", file);
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out, "--batch-size", "3");
        assertEquals(2, s.okImages());
        assertEquals(lines.size() - 2, s.errorRows());

        List<Row> rows = JobHarness.rows(out);
        assertEquals(lines.size(), rows.size(), "one output row per non-blank line");
        for (Map.Entry<String, String> e : lines.entrySet()) {
            List<Row> mine = rows.stream().filter(r -> e.getKey().equals(r.getAs("raw"))).toList();
            assertEquals(1, mine.size(), "exactly one row for " + e.getKey());
            Row r = mine.get(0);
            if (e.getValue() == null) {
                assertEquals("ok", r.getAs("status"));
                assertNotNull(r.getAs("image"));
                continue;
            }
            assertEquals("error", r.getAs("status"), e.getKey());
            String error = r.getAs("error");
            assertTrue(error.contains(e.getValue()), "error of " + e.getKey() + " was: " + error);
            assertNull(r.getAs("image"));
            assertNotNull(r.getAs("id"));
            assertNotNull(r.getAs("created_at"));
        }
        assertEquals("noprompt", rows.stream().filter(r -> ((String) r.getAs("raw")).contains("noprompt"))
                .findFirst().orElseThrow().getAs("id"), "a bad row keeps its given id");
    }

    @Test
    void csvMalformedLines() {
        Path in = JobHarness.write(dir, "bad.csv",
                "id,prompt,seed",
                "c1,fine,1",
                "c2,\"unterminated,2",
                "c3,too,many,fields",
                "c4,p,xyz",
                "c5,p,",
                "c6,\"x\"y,3");
        Path out = dir.resolve("out");
        JobHarness.runFake(in, out);
        List<Row> rows = JobHarness.rows(out);
        assertEquals(6, rows.size());
        Map<String, String> expected = Map.of(
                "c2,\"unterminated,2", "unterminated quoted field",
                "c3,too,many,fields", "4 fields, the header has 3",
                "c4,p,xyz", "seed \"xyz\" is not an integer",
                "c6,\"x\"y,3", "after a closing quote");
        for (Row r : rows) {
            String raw = r.getAs("raw");
            if (expected.containsKey(raw)) {
                assertEquals("error", r.getAs("status"), raw);
                String why = r.getAs("error");
                assertTrue(why.contains(expected.get(raw)), why);
            } else {
                assertEquals("ok", r.getAs("status"), raw + ": " + r.getAs("error"));
            }
        }
    }

    @Test
    void parquetBadValues() {
        StructType schema = new StructType()
                .add("prompt", DataTypes.StringType)
                .add("seed", DataTypes.StringType)
                .add("width", DataTypes.LongType);
        Path in = dir.resolve("bad.parquet");
        SharedSpark.get().createDataFrame(List.of(
                RowFactory.create("ok", "12", 16L),
                RowFactory.create("seed", "abc", null),
                RowFactory.create(null, "1", null),
                RowFactory.create("wide", null, 100000L)), schema)
                .coalesce(1).write().parquet(in.toString());
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out);
        assertEquals(1, s.okImages());
        assertEquals(3, s.errorRows());
        List<Row> rows = JobHarness.rows(out);
        Row ok = rows.stream().filter(r -> "ok".equals(r.getAs("status"))).findFirst().orElseThrow();
        assertEquals(12L, (long) ok.getAs("seed"));
        assertEquals(16, (int) ok.getAs("width"));
        assertTrue(rows.stream().anyMatch(r -> String.valueOf((Object) r.getAs("error"))
                .contains("width 100000 exceeds max-size")));
        assertTrue(rows.stream().anyMatch(r -> String.valueOf((Object) r.getAs("error"))
                .contains("missing required field \"prompt\"")));
    }
}

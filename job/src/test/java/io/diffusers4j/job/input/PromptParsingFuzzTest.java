// Fuzz test of the prompt-row parsers and the validator: every input line yields exactly one row, never an exception.
package io.diffusers4j.job.input;

import io.diffusers4j.job.rows.JobDefaults;
import io.diffusers4j.job.rows.PromptRow;
import io.diffusers4j.job.rows.RowValidator;
import io.diffusers4j.job.rows.WorkSchema;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * "Every input row appears exactly once in the output" starts here: a line of a JSONL or CSV prompt file, however
 * broken, becomes exactly one {@link PromptRow} (ok, or error with a message and the raw text) and its work rows,
 * in a Spark task, without throwing (a throw would fail the task, then the job). A few thousand seeded mutations of
 * valid lines (value swaps, fragment insertions, deletions, truncations, random characters, deep nesting, huge
 * numbers), bounded in time.
 */
class PromptParsingFuzzTest {
    private static final String[] JSONL = {
        "{\"id\": \"a\", \"prompt\": \"a cat\", \"seed\": 1, \"num_inference_steps\": 20, \"guidance_scale\": 7.5,"
                + " \"width\": 512, \"height\": 512, \"negative_prompt\": \"blurry\", \"num_images_per_prompt\": 2,"
                + " \"scheduler\": \"EulerDiscreteScheduler\"}",
        "{\"prompt\": \"a dog\"}",
    };
    private static final String CSV_HEADER = "id,prompt,seed,num_inference_steps,guidance_scale,width,height";
    private static final String CSV = "r1,\"a \"\"quoted\"\", cat\",7,20,7.5,64,64";
    private static final String[] VALUES = {"null", "true", "-1", "0", "1e400", "-1e400", "NaN", "\"NaN\"",
        "1e300", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1.5", "\"\"", "\" \"",
        "\"12\"", "\"x\"", "[]", "{}", "[1,2]", "{\"a\":{}}", "\"\\u0000\"", "\"\\ud800\"", "1E+2", "0.0", "64",
        "2049", "100000000000"};
    private static final String[] FRAGMENTS = {",", ":", "{", "}", "[", "]", "\"", "\\", " ", "\t", "\u00e9",
        "\ud83d\ude00", "\"\"", ",,", "\r"};

    @Test
    void everyMutatedLineIsExactlyOneRow() {
        RowValidator validator = new RowValidator(JobDefaults.diffusers());
        Random r = new Random(0xF0221L);
        int[] counts = new int[3]; // cases, ok rows, error rows
        long deadline = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            while (counts[0] < 20000 && System.nanoTime() < deadline) {
                boolean csv = r.nextInt(3) == 0;
                String line = mutate(csv ? CSV : JSONL[r.nextInt(JSONL.length)], r);
                counts[0]++;
                try {
                    RawRecord rec = csv ? CsvPromptReader.parse(CSV_HEADER, "p.csv", counts[0], line)
                            : JsonlPromptReader.parse("p.jsonl", counts[0], line);
                    PromptRow row = validator.validate(rec);
                    assertNotNull(row.id());
                    assertEquals(line, row.raw(), "the raw text is kept");
                    int workRows = WorkSchema.expand(row).size();
                    if (row.ok()) {
                        counts[1]++;
                        assertEquals(row.numImagesPerPrompt(), workRows);
                        assertNotNull(row.prompt(), "an ok row has a prompt (\"\" included, as in diffusers)");
                        assertTrue(row.guidanceScale() == null || Double.isFinite(row.guidanceScale())
                                && Float.isFinite(row.guidanceScale().floatValue()));
                        assertTrue(row.seed() >= 0);
                    } else {
                        counts[2]++;
                        assertEquals(1, workRows);
                        assertTrue(row.error() != null && !row.error().isBlank());
                    }
                } catch (Throwable e) {
                    fail((csv ? "CSV" : "JSONL") + " line threw " + e + ": " + line, e);
                }
            }
        });
        assertTrue(counts[0] >= 1000, "only " + counts[0] + " cases");
        assertTrue(counts[1] > counts[0] / 20 && counts[2] > counts[0] / 20, counts[1] + " ok, " + counts[2]
                + " error rows of " + counts[0]);
    }

    private static String mutate(String line, Random r) {
        String s = line;
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            int a = r.nextInt(s.length() + 1);
            int b = Math.min(s.length(), a + r.nextInt(6));
            s = switch (r.nextInt(7)) {
                case 0, 1 -> swapValue(s, r);
                case 2 -> s.substring(0, a) + FRAGMENTS[r.nextInt(FRAGMENTS.length)] + s.substring(b);
                case 3 -> s.substring(0, a) + s.substring(b);
                case 4 -> s.substring(0, r.nextInt(s.length() + 1));
                case 5 -> s.substring(0, a) + (char) r.nextInt(0x2100) + s.substring(a);
                default -> {
                    int depth = r.nextBoolean() ? 5 : 5000;
                    int at = s.indexOf(": ");
                    yield at < 0 ? s : s.substring(0, at + 2) + "[".repeat(depth) + "]".repeat(depth)
                            + s.substring(at + 2);
                }
            };
        }
        return s;
    }

    private static String swapValue(String s, Random r) {
        if (!s.startsWith("{")) { // CSV: replace one field
            String[] cells = s.split(",", -1);
            cells[r.nextInt(cells.length)] = VALUES[r.nextInt(VALUES.length)].replace("\"", "");
            return String.join(",", cells);
        }
        int colon = s.indexOf("\": ", r.nextInt(Math.max(1, s.length())));
        if (colon < 0) {
            return s;
        }
        int start = colon + 3;
        int end = start;
        boolean inString = false;
        while (end < s.length()) {
            char c = s.charAt(end);
            if (c == '"' && (end == start || s.charAt(end - 1) != '\\')) {
                inString = !inString;
            } else if (!inString && (c == ',' || c == '}')) {
                break;
            }
            end++;
        }
        return s.substring(0, start) + VALUES[r.nextInt(VALUES.length)] + s.substring(end);
    }
}

// `diffusers4j plan`: counts and first prompts as text or JSON; a bad plan is one line on stderr, exit 2.
package io.diffusers4j.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    private Path plan(String json) throws IOException {
        return Files.writeString(dir.resolve("plan.json"), json);
    }

    @Test
    void printsCountsPerTemplateAndTheFirstPrompts() throws IOException {
        Path p = plan("""
            {"seed": 3, "images_per_prompt": 2,
             "templates": [{"id": "a", "prompt": "a {x}"}, {"id": "b", "prompt": "b {x} {y|z}"}],
             "slots": {"x": ["1", "2"]}, "sweep": {"num_inference_steps": [3, 4]}}""");
        assertEquals(0, run("plan", p.toString(), "--limit", "2"), err.toString());
        String text = out.toString();
        assertTrue(text.startsWith("plan " + p + " (plan.json): product mode, 12 prompts x 2 image(s) = 24 images "
                + "(seed 3)\n  template a: 4 prompts\n  template b: 8 prompts\nfirst 2 of 12 prompts:\n"), text);
        assertTrue(text.contains("    prompt: a 1\n    slots: x=1\n    num_inference_steps=3\n"), text);
    }

    @Test
    void jsonHasTheTotalsAndResolvedRows() throws IOException {
        Path p = plan("""
            {"templates": [{"id": "t", "prompt": "{x}", "negative_prompt": "bad"}],
             "slots": {"x": ["1", "2", "3"]}}""");
        assertEquals(0, run("plan", p.toString(), "--json", "--limit", "1"), err.toString());
        JsonObject o = JsonParser.parseString(out.toString()).getAsJsonObject();
        assertEquals(3, o.get("prompts").getAsLong());
        assertEquals(3, o.get("images").getAsLong());
        assertEquals(1, o.getAsJsonArray("rows").size());
        JsonObject row = o.getAsJsonArray("rows").get(0).getAsJsonObject();
        assertEquals("1", row.get("prompt").getAsString());
        assertEquals("bad", row.get("negative_prompt").getAsString());
        assertEquals("1", row.getAsJsonObject("slots").get("x").getAsString());
        assertTrue(row.get("id").getAsString().startsWith("t-"));
    }

    @Test
    void aBadPlanIsOneLineNamingTheFileAndKeyWithExitCode2() throws IOException {
        Path p = plan("{\"templates\": [{\"id\": \"t\", \"prompt\": \"{nope}\"}]}");
        assertEquals(2, run("plan", p.toString()));
        assertEquals("diffusers4j plan: error: plan " + p + ": templates[0].prompt: slot {nope} is not defined in "
                + "slots (defined: none)\n", err.toString());
        assertEquals(2, run("plan", dir.resolve("missing.json").toString()));
        assertTrue(err.toString().contains("no such file"), err.toString());
    }
}

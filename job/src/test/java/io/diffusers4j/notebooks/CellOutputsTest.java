// CellOutputs: printed text and displays in order, consecutive text merged, per cell.
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CellOutputsTest {

    @Test
    void textAndDisplaysInOrderAsNbformatOutputs() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CellOutputs outputs = new CellOutputs(new PrintStream(log, true, StandardCharsets.UTF_8));
        outputs.stdout().print("denoising:");
        outputs.stdout().println(" 1 2 done");
        Map<String, String> bundle = new LinkedHashMap<>();
        bundle.put("image/png", "iVBOR");
        bundle.put("text/plain", "[image 2x2] x");
        outputs.display(bundle);
        outputs.stdout().println("après");
        JsonArray cell = outputs.take();

        assertEquals(3, cell.size());
        JsonObject first = cell.get(0).getAsJsonObject();
        assertEquals("stream", first.get("output_type").getAsString());
        assertEquals("stdout", first.get("name").getAsString());
        assertEquals("denoising: 1 2 done\n", NotebookJson.text(first.get("text")));
        JsonObject shown = cell.get(1).getAsJsonObject();
        assertEquals("display_data", shown.get("output_type").getAsString());
        assertEquals("iVBOR", shown.getAsJsonObject("data").get("image/png").getAsString());
        assertTrue(shown.getAsJsonObject("data").get("text/plain").isJsonArray(), "text/* stored as lines");
        assertEquals(new JsonObject(), shown.getAsJsonObject("metadata"));
        assertEquals("après\n", NotebookJson.text(cell.get(2).getAsJsonObject().get("text")));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("denoising: 1 2 done\n"), "copied to the log");

        assertEquals(new JsonArray(), outputs.take(), "the next cell starts empty");
    }
}

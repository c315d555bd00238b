// NotebookJson writes notebooks in nbformat's on-disk form: the committed notebooks come back byte for byte.
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NotebookJsonTest {

    @Test
    void theCommittedNotebooksAreWrittenBackByteForByte() throws IOException {
        for (Path nb : NotebooksTest.notebooks()) {
            assertEquals(Files.readString(nb, StandardCharsets.UTF_8), NotebookJson.format(NotebookJson.read(nb)),
                    nb.toString());
        }
    }

    @Test
    void keysSortedOneSpaceIndentAndPythonStyleEscapes() {
        JsonObject o = new JsonObject();
        o.addProperty("b", "tab\there \"q\" \u0001 é");
        o.add("a", new JsonArray());
        o.add("c", new JsonObject());
        assertEquals("{\n \"a\": [],\n \"b\": \"tab\\there \\\"q\\\" \\u0001 é\",\n \"c\": {}\n}\n",
                NotebookJson.format(o));
    }

    @Test
    void multiLineTextIsStoredAsLinesThatJoinBack() {
        JsonArray lines = NotebookJson.lines("one\ntwo\n\nlast");
        assertEquals(4, lines.size());
        assertEquals("two\n", lines.get(1).getAsString());
        assertEquals("last", lines.get(3).getAsString());
        assertEquals("one\ntwo\n\nlast", NotebookJson.text(lines));
        assertEquals(0, NotebookJson.lines("").size());
    }
}

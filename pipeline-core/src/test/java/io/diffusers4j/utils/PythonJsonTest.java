package io.diffusers4j.utils;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Python's json.dumps details that byte-identical files depend on. */
class PythonJsonTest {
    @Test
    void ensureAsciiEscapesEverythingOutsideSpaceToTildeIncludingDel() {
        // json.dumps("a\x7f\u00e9\U0001F600\n") == '"a\\u007f\\u00e9\\ud83d\\ude00\\n"'
        assertEquals("\"a\\u007f\\u00e9\\ud83d\\ude00\\n\"", PythonJson.dumpsString("a\u007f\u00e9\uD83D\uDE00\n", true));
        // ensure_ascii=False keeps them, escaping only quotes, backslash and control characters
        assertEquals("\"a\u007f\u00e9\uD83D\uDE00\\n\"", PythonJson.dumpsString("a\u007f\u00e9\uD83D\uDE00\n", false));
    }

    @Test
    void sortKeysOrdersByCodePoint() {
        JsonObject o = new JsonObject();
        o.addProperty("\uD83D\uDE00", 1); // U+1F600: after U+FFFF for Python, before it in UTF-16 order
        o.addProperty("\uFFFF", 2);
        o.addProperty("a", 3);
        assertEquals("{\n  \"a\": 3,\n  \"\\uffff\": 2,\n  \"\\ud83d\\ude00\": 1\n}", PythonJson.dumpsSorted(o));
    }

    @Test
    void indentAndEnsureAsciiAsGiven() {
        // json.dumps({"b": ["é"], "a": {}}, indent=1, sort_keys=True, ensure_ascii=False)
        JsonObject o = new JsonObject();
        JsonArray b = new JsonArray();
        b.add("\u00e9");
        o.add("b", b);
        o.add("a", new JsonObject());
        assertEquals("{\n \"a\": {},\n \"b\": [\n  \"\u00e9\"\n ]\n}", PythonJson.dumpsSorted(o, 1, false));
    }
}

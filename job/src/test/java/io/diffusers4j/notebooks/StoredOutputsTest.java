// StoredOutputs: stale text and changed pixels are differences; a PNG encoded differently is not.
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoredOutputsTest {

    @Test
    void theSameOutputsHaveNoDifferences() throws IOException {
        JsonObject nb = notebook(List.of("seed 0\n"), png(image(BufferedImage.TYPE_INT_RGB, 0x102030)), 3);
        assertEquals(List.of(), StoredOutputs.differences(nb, nb.deepCopy()));
    }

    @Test
    void staleTextAnExtraOutputAndAnotherExecutionCountAreDifferences() throws IOException {
        String png = png(image(BufferedImage.TYPE_INT_RGB, 0x102030));
        JsonObject stored = notebook(List.of("seed 0\n", "same: false\n"), png, 3);
        JsonObject fresh = notebook(List.of("seed 0\n", "same: true\n"), png, 3);
        List<String> d = StoredOutputs.differences(stored, fresh);
        assertEquals(1, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("cell 1: output 0 text differs at line 2"), d.get(0));
        assertTrue(d.get(0).contains("same: true"), d.get(0));

        JsonObject renumbered = notebook(List.of("seed 0\n", "same: false\n"), png, 4);
        assertTrue(StoredOutputs.differences(stored, renumbered).get(0).contains("execution_count 3 stored, 4"));

        JsonObject more = stored.deepCopy();
        outputs(more).add(outputs(more).get(0).deepCopy());
        assertTrue(StoredOutputs.differences(stored, more).get(0).startsWith("cell 1: output 2 is new: stream"));
    }

    @Test
    void imagesCompareByPixelsNotByPngBytes() throws IOException {
        String rgb = png(image(BufferedImage.TYPE_INT_RGB, 0x102030));
        String argb = png(image(BufferedImage.TYPE_INT_ARGB, 0xFF102030)); // same opaque pixels, other PNG bytes
        assertTrue(!rgb.equals(argb), "the encodings differ");
        JsonObject stored = notebook(List.of("x\n"), rgb, 1);
        JsonObject fresh = notebook(List.of("x\n"), argb, 1);
        assertEquals(List.of(), StoredOutputs.differences(stored, fresh));
        assertEquals(rgb, image(StoredOutputs.merge(stored, fresh)), "regenerating keeps the stored bytes");

        BufferedImage changed = image(BufferedImage.TYPE_INT_RGB, 0x102030);
        changed.setRGB(1, 1, 0x102031);
        List<String> d = StoredOutputs.differences(stored, notebook(List.of("x\n"), png(changed), 1));
        assertEquals(List.of("cell 1: output 1 image/png: 4x3 stored, 4x3 in the fresh run, 1 pixels differ"), d);
        assertEquals(png(changed), image(StoredOutputs.merge(stored, notebook(List.of("x\n"), png(changed), 1))));
    }

    /** A markdown cell, then a code cell with a stream output and an image output. */
    private static JsonObject notebook(List<String> lines, String png, int count) {
        JsonArray text = new JsonArray();
        lines.forEach(text::add);
        JsonObject nb = JsonParser.parseString("""
                {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# t"},
                  {"cell_type": "code", "id": "c", "metadata": {}, "source": "x", "outputs": [
                    {"output_type": "stream", "name": "stdout"},
                    {"output_type": "display_data", "metadata": {}, "data": {"text/plain": ["[image 4x3] x"]}}]}],
                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}""").getAsJsonObject();
        JsonObject cell = nb.getAsJsonArray("cells").get(1).getAsJsonObject();
        cell.addProperty("execution_count", count);
        outputs(nb).get(0).getAsJsonObject().add("text", text);
        outputs(nb).get(1).getAsJsonObject().getAsJsonObject("data").addProperty("image/png", png);
        return nb;
    }

    private static JsonArray outputs(JsonObject nb) {
        return nb.getAsJsonArray("cells").get(1).getAsJsonObject().getAsJsonArray("outputs");
    }

    private static String image(JsonObject nb) {
        return outputs(nb).get(1).getAsJsonObject().getAsJsonObject("data").get("image/png").getAsString();
    }

    private static BufferedImage image(int type, int argb) {
        BufferedImage img = new BufferedImage(4, 3, type);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                img.setRGB(x, y, argb);
            }
        }
        return img;
    }

    private static String png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }
}

// Are a notebook's stored outputs those of a fresh run? Text exactly, images by their decoded pixels.
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Compares the code cells of a stored notebook with those of a fresh run of it ({@link NotebookRunner}):
 * {@code execution_count} and every output, texts exactly (a string or its list of lines alike), {@code image/png}
 * by decoded size and pixels (so a different PNG encoder or compression level is no difference).
 */
final class StoredOutputs {
    private StoredOutputs() {
    }

    /** What differs, one line per difference (at most one per cell); empty when the stored outputs are current. */
    static List<String> differences(JsonObject stored, JsonObject fresh) {
        JsonArray s = stored.getAsJsonArray("cells");
        JsonArray f = fresh.getAsJsonArray("cells");
        List<String> out = new ArrayList<>();
        if (s.size() != f.size()) {
            out.add(s.size() + " cells stored, " + f.size() + " in the fresh run");
            return out;
        }
        for (int i = 0; i < s.size(); i++) {
            JsonObject sc = s.get(i).getAsJsonObject();
            JsonObject fc = f.get(i).getAsJsonObject();
            if (!"code".equals(sc.get("cell_type").getAsString())) {
                continue;
            }
            String d = cellDifference(sc, fc);
            if (d != null) {
                out.add("cell " + i + ": " + d);
            }
        }
        return out;
    }

    /**
     * The fresh notebook, except that an {@code image/png} whose pixels equal the stored one keeps the stored
     * string: regenerating leaves unchanged images byte for byte as they were.
     */
    static JsonObject merge(JsonObject stored, JsonObject fresh) {
        JsonObject merged = fresh.deepCopy();
        JsonArray s = stored.getAsJsonArray("cells");
        JsonArray m = merged.getAsJsonArray("cells");
        for (int i = 0; i < Math.min(s.size(), m.size()); i++) {
            JsonArray so = s.get(i).getAsJsonObject().getAsJsonArray("outputs");
            JsonArray mo = m.get(i).getAsJsonObject().getAsJsonArray("outputs");
            for (int j = 0; so != null && mo != null && j < Math.min(so.size(), mo.size()); j++) {
                JsonObject sd = so.get(j).getAsJsonObject().getAsJsonObject("data");
                JsonObject md = mo.get(j).getAsJsonObject().getAsJsonObject("data");
                if (sd != null && md != null && sd.has("image/png") && md.has("image/png")
                        && samePixels(sd.get("image/png"), md.get("image/png"))) {
                    md.add("image/png", sd.get("image/png"));
                }
            }
        }
        return merged;
    }

    private static String cellDifference(JsonObject stored, JsonObject fresh) {
        if (!Objects.equals(stored.get("execution_count"), fresh.get("execution_count"))) {
            return "execution_count " + stored.get("execution_count") + " stored, " + fresh.get("execution_count")
                    + " in the fresh run";
        }
        JsonArray so = stored.has("outputs") ? stored.getAsJsonArray("outputs") : new JsonArray();
        JsonArray fo = fresh.has("outputs") ? fresh.getAsJsonArray("outputs") : new JsonArray();
        for (int j = 0; j < Math.max(so.size(), fo.size()); j++) {
            if (j >= so.size()) {
                return "output " + j + " is new: " + brief(fo.get(j).getAsJsonObject());
            }
            if (j >= fo.size()) {
                return "output " + j + " is gone: " + brief(so.get(j).getAsJsonObject());
            }
            String d = outputDifference(so.get(j).getAsJsonObject(), fo.get(j).getAsJsonObject());
            if (d != null) {
                return "output " + j + " " + d;
            }
        }
        return null;
    }

    private static String outputDifference(JsonObject stored, JsonObject fresh) {
        for (String key : union(stored, fresh)) {
            JsonElement s = stored.get(key);
            JsonElement f = fresh.get(key);
            if (key.equals("data") && s != null && f != null && s.isJsonObject() && f.isJsonObject()) {
                for (String type : union(s.getAsJsonObject(), f.getAsJsonObject())) {
                    String d = valueDifference(type, s.getAsJsonObject().get(type), f.getAsJsonObject().get(type));
                    if (d != null) {
                        return d;
                    }
                }
            } else {
                String d = valueDifference(key, s, f);
                if (d != null) {
                    return d;
                }
            }
        }
        return null;
    }

    private static String valueDifference(String key, JsonElement stored, JsonElement fresh) {
        if (stored == null || fresh == null) {
            return key + (stored == null ? " is new" : " is gone");
        }
        if (key.equals("image/png")) {
            BufferedImage s = decode(stored);
            BufferedImage f = decode(fresh);
            long differ = differentPixels(s, f);
            return differ == 0 ? null : "image/png: " + s.getWidth() + "x" + s.getHeight() + " stored, "
                    + f.getWidth() + "x" + f.getHeight() + " in the fresh run"
                    + (differ > 0 ? ", " + differ + " pixels differ" : "");
        }
        boolean text = stored.isJsonArray() || fresh.isJsonArray()
                || stored.isJsonPrimitive() && stored.getAsJsonPrimitive().isString();
        if (text) {
            String s = NotebookJson.text(stored);
            String f = NotebookJson.text(fresh);
            return s.equals(f) ? null : key + " differs at line " + firstDifferentLine(s, f);
        }
        return stored.equals(fresh) ? null : key + ": " + stored + " stored, " + fresh + " in the fresh run";
    }

    private static String firstDifferentLine(String stored, String fresh) {
        String[] s = stored.split("\n", -1);
        String[] f = fresh.split("\n", -1);
        for (int i = 0; i < Math.max(s.length, f.length); i++) {
            String a = i < s.length ? s[i] : "(none)";
            String b = i < f.length ? f[i] : "(none)";
            if (!a.equals(b)) {
                return (i + 1) + ":\n      stored: " + a + "\n      fresh:  " + b;
            }
        }
        return "?";
    }

    private static boolean samePixels(JsonElement stored, JsonElement fresh) {
        return differentPixels(decode(stored), decode(fresh)) == 0;
    }

    /** How many pixels differ (ARGB); -1 when the sizes differ. */
    private static long differentPixels(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) {
            return -1;
        }
        long n = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                n += a.getRGB(x, y) != b.getRGB(x, y) ? 1 : 0;
            }
        }
        return n;
    }

    private static BufferedImage decode(JsonElement png) {
        byte[] bytes = Base64.getMimeDecoder().decode(NotebookJson.text(png).strip());
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
            if (img == null) {
                throw new IllegalArgumentException("image/png output is not a PNG");
            }
            return img;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String brief(JsonObject output) {
        JsonElement type = output.get("output_type");
        JsonObject data = output.getAsJsonObject("data");
        String what = data != null && data.has("text/plain") ? NotebookJson.text(data.get("text/plain"))
                : NotebookJson.text(output.get("text"));
        return (type instanceof JsonPrimitive p ? p.getAsString() : "?") + " "
                + (what.length() > 120 ? what.substring(0, 120) + "..." : what).strip();
    }

    private static List<String> union(JsonObject a, JsonObject b) {
        List<String> keys = new ArrayList<>(a.keySet());
        b.keySet().stream().filter(k -> !keys.contains(k)).forEach(keys::add);
        return keys;
    }
}

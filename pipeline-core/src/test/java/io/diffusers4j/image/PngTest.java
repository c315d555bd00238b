package io.diffusers4j.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

import java.util.Arrays;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PngTest {
    private static BufferedImage noise(int w, int h, int type, long seed) {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r.nextInt());
            }
        }
        return img;
    }

    private static List<String> chunkTypes(byte[] png) {
        List<String> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(png);
        b.position(8);
        while (b.remaining() >= 12) {
            int len = b.getInt();
            byte[] t = new byte[4];
            b.get(t);
            out.add(new String(t, StandardCharsets.US_ASCII));
            b.position(b.position() + len + 4);
        }
        return out;
    }

    /** Text chunks as javax.imageio's own PNG reader sees them (an independent decoder). */
    private static Map<String, String> imageIoText(byte[] png) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            IIOMetadata meta = reader.getImageMetadata(0);
            Node root = meta.getAsTree("javax_imageio_png_1.0");
            for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
                for (Node e = n.getFirstChild(); e != null; e = e.getNextSibling()) {
                    NamedNodeMap a = e.getAttributes();
                    if (e.getNodeName().equals("tEXtEntry")) {
                        out.put(a.getNamedItem("keyword").getNodeValue(), a.getNamedItem("value").getNodeValue());
                    } else if (e.getNodeName().equals("iTXtEntry")) {
                        out.put(a.getNamedItem("keyword").getNodeValue(), a.getNamedItem("text").getNodeValue());
                    }
                }
            }
            reader.dispose();
        }
        return out;
    }

    @Test
    void pixelsAndTextRoundTrip(@TempDir Path tmp) throws Exception {
        BufferedImage img = noise(37, 23, BufferedImage.TYPE_INT_RGB, 1);
        Map<String, String> text = new LinkedHashMap<>();
        text.put("prompt", "a photo of an astronaut riding a horse on mars");
        text.put("negative_prompt", "低质量, ぼやけた, café, 🚀");
        text.put("seed", "42");
        text.put("parameters", "line one\nline two\twith tab");
        byte[] png = Png.write(img, text);
        List<String> types = chunkTypes(png);
        assertEquals(List.of("IHDR", "tEXt", "iTXt", "tEXt", "tEXt"), types.subList(0, 5));
        assertEquals("IEND", types.get(types.size() - 1));

        Png.Decoded d = Png.read(png);
        assertEquals(text, d.text());
        assertEquals(new ArrayList<>(text.keySet()), new ArrayList<>(d.text().keySet()));
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                assertEquals(img.getRGB(x, y), d.image().getRGB(x, y));
            }
        }
        assertEquals(text, imageIoText(png), "javax.imageio reads the same text");

        Path file = tmp.resolve("out/image.png");
        Png.write(file, img, text);
        assertEquals(text, Png.read(file).text());
        assertEquals(img.getRGB(5, 5), ImageIO.read(file.toFile()).getRGB(5, 5));
    }

    @Test
    void greyAndAlphaImagesKeepTheirSamples() {
        BufferedImage grey = new BufferedImage(16, 3, BufferedImage.TYPE_BYTE_GRAY);
        int[] levels = new int[48];
        for (int i = 0; i < 48; i++) {
            levels[i] = i * 5;
        }
        grey.getRaster().setPixels(0, 0, 16, 3, levels);
        Png.Decoded g = Png.read(Png.write(grey, Map.of()));
        assertEquals(Arrays.toString(levels),
                Arrays.toString(g.image().getRaster().getPixels(0, 0, 16, 3, (int[]) null)));
        assertEquals(PilImage.fromBufferedImage(grey), PilImage.fromBufferedImage(g.image()));

        BufferedImage argb = noise(9, 9, BufferedImage.TYPE_INT_ARGB, 2);
        Png.Decoded a = Png.read(Png.write(argb, null));
        assertTrue(a.text().isEmpty());
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 9; x++) {
                assertEquals(argb.getRGB(x, y), a.image().getRGB(x, y));
            }
        }
    }

    private static byte[] chunk(String type, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] in) {
        Deflater d = new Deflater();
        d.setInput(in);
        d.finish();
        byte[] buf = new byte[in.length + 64];
        int n = d.deflate(buf);
        d.end();
        return Arrays.copyOf(buf, n);
    }

    private static byte[] insertAfterIhdr(byte[] png, byte[]... chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, 33);
        for (byte[] c : chunks) {
            out.writeBytes(c);
        }
        out.write(png, 33, png.length - 33);
        return out.toByteArray();
    }

    @Test
    void readsCompressedTextChunksAndLaterDuplicatesWin() {
        byte[] base = Png.write(noise(4, 4, BufferedImage.TYPE_INT_RGB, 3), Map.of("seed", "1"));
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        z.writeBytes("comment".getBytes(StandardCharsets.ISO_8859_1));
        z.write(0);
        z.write(0);
        z.writeBytes(deflate("zipped latin-1: caf\u00e9".getBytes(StandardCharsets.ISO_8859_1)));
        ByteArrayOutputStream it = new ByteArrayOutputStream();
        it.writeBytes("prompt".getBytes(StandardCharsets.ISO_8859_1));
        it.write(0);
        it.write(1);
        it.write(0);
        it.writeBytes("ja".getBytes(StandardCharsets.US_ASCII));
        it.write(0);
        it.writeBytes("プロンプト".getBytes(StandardCharsets.UTF_8));
        it.write(0);
        it.writeBytes(deflate("宇宙飛行士".getBytes(StandardCharsets.UTF_8)));
        byte[] seed2 = chunk("tEXt", "seed\0002".getBytes(StandardCharsets.ISO_8859_1));
        byte[] png = insertAfterIhdr(base, chunk("zTXt", z.toByteArray()), chunk("iTXt", it.toByteArray()));
        // a later tEXt with the same keyword replaces the earlier value
        byte[] withDup = insertAfterIhdr(png, seed2);
        Map<String, String> text = Png.readText(png);
        assertEquals("zipped latin-1: café", text.get("comment"));
        assertEquals("宇宙飛行士", text.get("prompt"));
        assertEquals("1", text.get("seed"));
        assertEquals("1", Png.readText(withDup).get("seed"), "the original chunk comes after the inserted one");
    }

    @Test
    void corruptOrHostileFilesAreRefused() {
        byte[] good = Png.write(noise(4, 4, BufferedImage.TYPE_INT_RGB, 4), Map.of("prompt", "x"));
        byte[] flipped = good.clone();
        flipped[40] ^= 1; // inside the tEXt chunk
        IllegalArgumentException crc = assertThrows(IllegalArgumentException.class, () -> Png.read(flipped));
        assertTrue(crc.getMessage().contains("CRC"), crc.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Png.read(new byte[] {1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> Png.read(Arrays.copyOf(good, good.length - 10)));

        // a 100000 x 100000 header is refused before any pixel is decoded
        byte[] bomb = good.clone();
        ByteBuffer.wrap(bomb, 16, 8).putInt(100000).putInt(100000);
        CRC32 c = new CRC32();
        c.update(bomb, 12, 17);
        ByteBuffer.wrap(bomb, 29, 4).putInt((int) c.getValue());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> Png.readText(bomb));
        assertTrue(big.getMessage().contains("decompression bomb"), big.getMessage());

        // compressed text that inflates beyond 1 MiB
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        z.writeBytes("big".getBytes(StandardCharsets.US_ASCII));
        z.write(0);
        z.write(0);
        z.writeBytes(deflate(new byte[Png.MAX_TEXT_CHUNK + 10]));
        byte[] zbomb = insertAfterIhdr(good, chunk("zTXt", z.toByteArray()));
        assertThrows(IllegalArgumentException.class, () -> Png.readText(zbomb));
    }

    @Test
    void keywordsAndValuesAreValidated() {
        BufferedImage img = noise(2, 2, BufferedImage.TYPE_INT_RGB, 5);
        for (String bad : new String[] {"", " lead", "trail ", "two  spaces", "x".repeat(80), "snow☃"}) {
            assertThrows(IllegalArgumentException.class, () -> Png.write(img, Map.of(bad, "v")), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> Png.write(img, Map.of("k", "nul\0inside")));
        Map<String, String> ok = Map.of("Größe", "ok", "x".repeat(79), "long keyword");
        assertEquals(ok, Png.read(Png.write(img, ok)).text());
    }

    @Test
    void generationMetadataWritesOwnKeysAndA1111Parameters() {
        GenerationMetadata m = new GenerationMetadata()
                .prompt("a cozy cabin in the woods")
                .negativePrompt("ugly, deformed")
                .seed(123L)
                .steps(5)
                .guidanceScale(7.5)
                .scheduler("PNDMScheduler")
                .model("/models/tiny-sd")
                .revision("main")
                .size(64, 64)
                .put("eta", "0.0");
        Map<String, String> text = m.toPngText();
        assertEquals("a cozy cabin in the woods", text.get("prompt"));
        assertEquals("7.5", text.get("guidance_scale"));
        assertEquals("123", text.get("seed"));
        assertEquals("a cozy cabin in the woods\nNegative prompt: ugly, deformed\n"
                + "Steps: 5, Sampler: PLMS, CFG scale: 7.5, Seed: 123, Size: 64x64, Model: /models/tiny-sd, "
                + "Revision: main, eta: 0.0", text.get("parameters"));
        GenerationMetadata back = GenerationMetadata.fromPngText(
                Png.read(Png.write(noise(2, 2, BufferedImage.TYPE_INT_RGB, 6), text)).text());
        assertEquals(m.toPngText(), back.toPngText());

        GenerationMetadata q = new GenerationMetadata().prompt("p").guidanceScale(7.0).model("org/model:v1, \"x\"");
        assertEquals("p\nCFG scale: 7.0, Model: \"org/model:v1, \\\"x\\\"\"", q.a1111Parameters());
        assertThrows(IllegalArgumentException.class,
                () -> GenerationMetadata.fromPngText(Map.of("seed", "forty-two")));
    }

    @Test
    void valuesPngTextCannotHoldRoundTripThroughAJsonChunk() {
        // JSON input can carry NUL ("\u0000") and unpaired surrogates ("\ud800"); PNG text can hold neither
        String prompt = "a\0b";
        String negative = "x\uD800y\uD83D\uDE00";
        GenerationMetadata m = new GenerationMetadata().prompt(prompt).negativePrompt(negative).seed(1L)
                .secondPrompts("\0", null);
        Map<String, String> text = m.toPngText();
        assertEquals("a\uFFFDb", text.get("prompt"), "display form: NUL shown as U+FFFD");
        assertEquals("\"a\\u0000b\"", text.get("prompt.json"), "lossless form: a JSON string");
        assertEquals("x\uFFFDy\uD83D\uDE00", text.get("negative_prompt"), "a surrogate pair is kept");
        assertTrue(!text.containsKey("seed.json"), "values PNG text holds get no second chunk");
        byte[] png = Png.write(noise(2, 2, BufferedImage.TYPE_INT_RGB, 7), text);
        GenerationMetadata back = GenerationMetadata.fromPngText(Png.read(png).text());
        assertEquals(prompt, back.prompt());
        assertEquals(negative, back.negativePrompt());
        assertEquals("\0", back.extra().get("prompt_2"));
        assertEquals(Map.of("prompt_2", "\0"), back.extra(), "the .json chunks are not extras");
        assertTrue(back.a1111Parameters().startsWith("a\0b\nNegative prompt: "), back.a1111Parameters());

        // a chunk that merely ends in ".json" stays an ordinary entry
        Map<String, String> foreign = new LinkedHashMap<>();
        foreign.put("workflow", "w");
        foreign.put("workflow.json", "{\"nodes\": []}");
        foreign.put("notes.json", "\"no base key\"");
        assertEquals(foreign, PngTextEscaping.unescape(foreign));
    }
}

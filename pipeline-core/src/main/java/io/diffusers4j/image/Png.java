// PNG files with text metadata, as PIL's PngImagePlugin writes (PngInfo.add_text) and reads (Image.text) them.
package io.diffusers4j.image;

import io.diffusers4j.utils.AtomicFiles;

import java.util.Arrays;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Encodes images as PNG bytes with text chunks and decodes them back, with javax.imageio (headless) for the pixels
 * and the text chunks handled here, byte for byte per the PNG specification.
 *
 * <p>Writing: each entry becomes a {@code tEXt} chunk when key and value are printable ASCII (plus tab and
 * newline), otherwise an uncompressed {@code iTXt} chunk with the value in UTF-8 (so prompts in any language
 * survive). Chunks go right after {@code IHDR}, in map order. Keywords must be 1-79 Latin-1 characters without
 * leading, trailing or double spaces; values must not contain NUL.
 *
 * <p>Reading: {@code tEXt}, {@code zTXt} and {@code iTXt} (compressed or not) are collected into one map, later
 * chunks replacing earlier ones with the same keyword (like PIL's {@code Image.text}). Every chunk's CRC is
 * checked; decompressed text is limited to 1 MiB per chunk and 64 MiB in all, and images above PIL's
 * decompression-bomb limit ({@code 2 * 89478485} pixels) are refused before any pixel is decoded.
 */
public final class Png {
    private static final byte[] SIGNATURE = {(byte) 137, 'P', 'N', 'G', 13, 10, 26, 10};
    /** PIL's {@code ImageFile.SAFEBLOCK}, its {@code MAX_TEXT_CHUNK}. */
    public static final int MAX_TEXT_CHUNK = 1 << 20;
    /** PIL's {@code MAX_TEXT_MEMORY}. */
    public static final long MAX_TEXT_MEMORY = 64L * MAX_TEXT_CHUNK;
    /** Twice PIL's {@code Image.MAX_IMAGE_PIXELS} (where PIL raises {@code DecompressionBombError}). */
    public static final long MAX_PIXELS = 2L * 89478485;

    /** A decoded PNG: its pixels and its text chunks (keyword to text, file order). */
    public record Decoded(BufferedImage image, Map<String, String> text) {
    }

    private Png() {
    }

    /** The PNG encoding of {@code image} with {@code text} (may be null or empty) as text chunks. */
    public static byte[] write(BufferedImage image, Map<String, String> text) {
        byte[] plain;
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            if (!ImageIO.write(image, "png", bytes)) {
                throw new IllegalArgumentException("no PNG writer for image type " + image.getType());
            }
            plain = bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed", e);
        }
        if (text == null || text.isEmpty()) {
            return plain;
        }
        ByteArrayOutputStream chunks = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : text.entrySet()) {
            writeChunk(chunks, textChunk(e.getKey(), e.getValue()));
        }
        // signature (8) + IHDR (4 length + 4 type + 13 data + 4 crc) = 33 bytes, then our chunks, then the rest
        int ihdrEnd = 8 + 4 + 4 + 13 + 4;
        if (plain.length < ihdrEnd || plain[12] != 'I' || plain[13] != 'H' || plain[14] != 'D' || plain[15] != 'R') {
            throw new IllegalStateException("ImageIO wrote a PNG without a leading IHDR chunk");
        }
        byte[] extra = chunks.toByteArray();
        byte[] out = new byte[plain.length + extra.length];
        System.arraycopy(plain, 0, out, 0, ihdrEnd);
        System.arraycopy(extra, 0, out, ihdrEnd, extra.length);
        System.arraycopy(plain, ihdrEnd, out, ihdrEnd + extra.length, plain.length - ihdrEnd);
        return out;
    }

    /** Writes {@link #write(BufferedImage, Map)} to {@code file} atomically (temp file, then rename). */
    public static void write(Path file, BufferedImage image, Map<String, String> text) throws IOException {
        AtomicFiles.write(file, write(image, text));
    }

    /** Decodes PNG bytes: pixels and text chunks. */
    public static Decoded read(byte[] png) {
        Map<String, String> text = readText(png);
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot decode PNG pixels: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IllegalArgumentException("no PNG reader accepted the data");
        }
        return new Decoded(image, text);
    }

    /** Reads and decodes a PNG file. */
    public static Decoded read(Path file) throws IOException {
        try {
            return read(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Only the text chunks of PNG bytes (validates the chunk structure, decodes no pixels). */
    public static Map<String, String> readText(byte[] png) {
        if (png.length < SIGNATURE.length) {
            throw new IllegalArgumentException("not a PNG: " + png.length + " bytes");
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png[i] != SIGNATURE[i]) {
                throw new IllegalArgumentException("not a PNG: bad signature");
            }
        }
        Map<String, String> text = new LinkedHashMap<>();
        ByteBuffer buf = ByteBuffer.wrap(png);
        buf.position(SIGNATURE.length);
        long textBytes = 0;
        boolean first = true;
        while (true) {
            if (buf.remaining() < 12) {
                throw new IllegalArgumentException("truncated PNG: no IEND chunk");
            }
            int start = buf.position();
            long length = Integer.toUnsignedLong(buf.getInt());
            if (length > Integer.MAX_VALUE || length > buf.remaining() - 8) {
                throw new IllegalArgumentException("truncated PNG: chunk at byte " + start + " claims " + length
                        + " bytes, " + Math.max(0, buf.remaining() - 8) + " left");
            }
            String type = new String(png, start + 4, 4, StandardCharsets.ISO_8859_1);
            int dataStart = start + 8;
            int dataEnd = dataStart + (int) length;
            CRC32 crc = new CRC32();
            crc.update(png, start + 4, 4 + (int) length);
            buf.position(dataEnd);
            long stored = Integer.toUnsignedLong(buf.getInt());
            if (crc.getValue() != stored) {
                throw new IllegalArgumentException("corrupt PNG: CRC mismatch in " + type + " chunk at byte " + start);
            }
            if (first) {
                if (!type.equals("IHDR") || length != 13) {
                    throw new IllegalArgumentException("not a PNG: first chunk is " + type + ", not IHDR");
                }
                long w = Integer.toUnsignedLong(ByteBuffer.wrap(png, dataStart, 4).getInt());
                long h = Integer.toUnsignedLong(ByteBuffer.wrap(png, dataStart + 4, 4).getInt());
                if (w == 0 || h == 0 || w * h > MAX_PIXELS) {
                    throw new IllegalArgumentException("PNG size " + w + "x" + h + " is empty or exceeds the "
                            + MAX_PIXELS + "-pixel limit (decompression bomb)");
                }
                first = false;
            }
            String[] kv = switch (type) {
                case "tEXt" -> parseText(png, dataStart, dataEnd);
                case "zTXt" -> parseZText(png, dataStart, dataEnd);
                case "iTXt" -> parseIText(png, dataStart, dataEnd);
                default -> null;
            };
            if (kv != null) {
                textBytes += kv[0].length() + (long) kv[1].length() * 2;
                if (textBytes > MAX_TEXT_MEMORY) {
                    throw new IllegalArgumentException("PNG text chunks exceed " + MAX_TEXT_MEMORY + " bytes");
                }
                text.remove(kv[0]);
                text.put(kv[0], kv[1]);
            }
            if (type.equals("IEND")) {
                return Collections.unmodifiableMap(text);
            }
        }
    }

    private static int indexOfNul(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static String[] parseText(byte[] b, int start, int end) {
        int nul = indexOfNul(b, start, end);
        if (nul < 0) {
            return null; // PIL also ignores a tEXt chunk without a separator (treats it as keyword only)
        }
        return new String[] {latin1(b, start, nul), latin1(b, nul + 1, end)};
    }

    private static String[] parseZText(byte[] b, int start, int end) {
        int nul = indexOfNul(b, start, end);
        if (nul < 0 || nul + 1 >= end) {
            throw new IllegalArgumentException("corrupt PNG: zTXt chunk without compression method");
        }
        if (b[nul + 1] != 0) {
            throw new IllegalArgumentException("PNG zTXt compression method " + b[nul + 1] + " is not supported");
        }
        byte[] raw = inflate(b, nul + 2, end);
        return new String[] {latin1(b, start, nul), new String(raw, StandardCharsets.ISO_8859_1)};
    }

    private static String[] parseIText(byte[] b, int start, int end) {
        int nul = indexOfNul(b, start, end);
        if (nul < 0 || nul + 3 > end) {
            throw new IllegalArgumentException("corrupt PNG: truncated iTXt chunk");
        }
        String keyword = latin1(b, start, nul);
        int flag = b[nul + 1];
        int method = b[nul + 2];
        int langEnd = indexOfNul(b, nul + 3, end);
        int transEnd = langEnd < 0 ? -1 : indexOfNul(b, langEnd + 1, end);
        if (transEnd < 0) {
            throw new IllegalArgumentException("corrupt PNG: iTXt chunk '" + keyword + "' misses its separators");
        }
        byte[] raw;
        if (flag == 0) {
            raw = Arrays.copyOfRange(b, transEnd + 1, end);
        } else if (flag == 1 && method == 0) {
            raw = inflate(b, transEnd + 1, end);
        } else {
            throw new IllegalArgumentException("PNG iTXt chunk '" + keyword + "' has compression flag " + flag
                    + " method " + method);
        }
        return new String[] {keyword, new String(raw, StandardCharsets.UTF_8)};
    }

    private static byte[] inflate(byte[] b, int start, int end) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(b, start, end - start);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalArgumentException("corrupt PNG: truncated compressed text");
                }
                out.write(buf, 0, n);
                if (out.size() > MAX_TEXT_CHUNK) {
                    throw new IllegalArgumentException("PNG compressed text chunk decompresses to more than "
                            + MAX_TEXT_CHUNK + " bytes");
                }
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("corrupt PNG: bad compressed text: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private static String latin1(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** Type and data of a text chunk for {@code key} / {@code value}. */
    private static byte[][] textChunk(String key, String value) {
        checkKeyword(key);
        if (value == null) {
            throw new IllegalArgumentException("PNG text '" + key + "' has a null value");
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("PNG text '" + key + "' contains a NUL character");
        }
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(k);
        data.write(0);
        if (isPlainAscii(value)) {
            data.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
            return new byte[][] {"tEXt".getBytes(StandardCharsets.US_ASCII), data.toByteArray()};
        }
        data.write(0); // compression flag: uncompressed
        data.write(0); // compression method
        data.write(0); // empty language tag
        data.write(0); // empty translated keyword
        data.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        return new byte[][] {"iTXt".getBytes(StandardCharsets.US_ASCII), data.toByteArray()};
    }

    private static boolean isPlainAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 32 && c < 127 || c == '\n' || c == '\t')) {
                return false;
            }
        }
        return true;
    }

    /** PNG keyword rules: 1-79 printable Latin-1 characters, no leading/trailing/consecutive spaces. */
    static void checkKeyword(String key) {
        if (key == null || key.isEmpty() || key.length() > 79) {
            throw new IllegalArgumentException("PNG text keyword must have 1-79 characters, got "
                    + (key == null ? "null" : "'" + key + "' (" + key.length() + ")"));
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(c >= 32 && c <= 126 || c >= 161 && c <= 255)) {
                throw new IllegalArgumentException("PNG text keyword '" + key + "' has character U+"
                        + String.format("%04X", (int) c) + " outside printable Latin-1");
            }
        }
        if (key.startsWith(" ") || key.endsWith(" ") || key.contains("  ")) {
            throw new IllegalArgumentException("PNG text keyword '" + key
                    + "' has leading, trailing or consecutive spaces");
        }
    }

    private static void writeChunk(ByteArrayOutputStream out, byte[][] typeAndData) {
        byte[] type = typeAndData[0];
        byte[] data = typeAndData[1];
        ByteBuffer len = ByteBuffer.allocate(4).putInt(data.length);
        out.writeBytes(len.array());
        out.writeBytes(type);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(type);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}

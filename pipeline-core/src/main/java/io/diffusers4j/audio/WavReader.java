// Reads back what WavWriter writes (and other PCM 16-bit / float 32-bit WAVE files): format, samples, LIST/INFO text.
package io.diffusers4j.audio;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A parsed WAVE file: its sample rate, channels and format, the samples as planar floats ({@code channels} rows, as
 * {@link WavWriter} takes them; 16-bit samples divided by 32767) and the LIST/INFO entries. Only 16-bit PCM and
 * 32-bit float files are read; anything malformed is an IllegalArgumentException saying what is wrong.
 */
public record WavReader(int sampleRate, int channels, WavWriter.Format format, float[] planar,
                        Map<String, String> info) {
    public WavReader {
        info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
    }

    /** Samples per channel. */
    public int frames() {
        return planar.length / channels;
    }

    /** Parses {@code bytes} (a whole file). */
    public static WavReader read(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (!tag(b).equals("RIFF")) {
                throw malformed("no RIFF header");
            }
            b.getInt();
            if (!tag(b).equals("WAVE")) {
                throw malformed("not a WAVE file");
            }
            int rate = 0;
            int channels = 0;
            WavWriter.Format format = null;
            byte[] data = null;
            Map<String, String> info = new LinkedHashMap<>();
            while (b.remaining() >= 8) {
                String id = tag(b);
                long size = Integer.toUnsignedLong(b.getInt());
                if (size > b.remaining()) {
                    throw malformed("chunk '" + id + "' of " + size + " bytes runs past the end of the file");
                }
                ByteBuffer chunk = b.slice(b.position(), (int) size).order(ByteOrder.LITTLE_ENDIAN);
                int next = b.position() + (int) size;
                b.position((size & 1) != 0 && next < b.limit() ? next + 1 : next); // chunks are word-aligned
                switch (id) {
                    case "fmt " -> {
                        int tag = Short.toUnsignedInt(chunk.getShort());
                        channels = Short.toUnsignedInt(chunk.getShort());
                        rate = chunk.getInt();
                        chunk.getInt();
                        chunk.getShort();
                        int bits = Short.toUnsignedInt(chunk.getShort());
                        format = tag == 1 && bits == 16 ? WavWriter.Format.PCM_16
                                : tag == 3 && bits == 32 ? WavWriter.Format.FLOAT_32 : null;
                        if (format == null || channels < 1) {
                            throw malformed("unsupported format tag " + tag + " with " + bits + " bits and "
                                    + channels + " channels (16-bit PCM or 32-bit float)");
                        }
                    }
                    case "data" -> {
                        data = new byte[chunk.remaining()];
                        chunk.get(data);
                    }
                    case "LIST" -> readInfo(chunk, info);
                    default -> { }
                }
            }
            if (format == null || data == null) {
                throw malformed("missing the fmt or data chunk");
            }
            return new WavReader(rate, channels, format, planar(data, channels, format), info);
        } catch (BufferUnderflowException e) {
            throw malformed("truncated chunk");
        }
    }

    private static float[] planar(byte[] data, int channels, WavWriter.Format format) {
        int bytesPerSample = format == WavWriter.Format.PCM_16 ? 2 : 4;
        int frames = data.length / (bytesPerSample * channels);
        ByteBuffer d = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[frames * channels];
        for (int f = 0; f < frames; f++) {
            for (int c = 0; c < channels; c++) {
                out[c * frames + f] = format == WavWriter.Format.PCM_16 ? d.getShort() / 32767f : d.getFloat();
            }
        }
        return out;
    }

    private static void readInfo(ByteBuffer chunk, Map<String, String> info) {
        if (chunk.remaining() < 4 || !tag(chunk).equals("INFO")) {
            return;
        }
        while (chunk.remaining() >= 8) {
            String id = tag(chunk);
            int size = chunk.getInt();
            if (size < 0 || size > chunk.remaining()) {
                throw malformed("INFO entry '" + id + "' runs past its chunk");
            }
            byte[] text = new byte[size];
            chunk.get(text);
            int end = 0;
            while (end < text.length && text[end] != 0) {
                end++;
            }
            info.put(id, new String(text, 0, end, StandardCharsets.UTF_8));
            if ((size & 1) != 0 && chunk.hasRemaining()) {
                chunk.get();
            }
        }
    }

    private static String tag(ByteBuffer b) {
        byte[] four = new byte[4];
        b.get(four);
        return new String(four, StandardCharsets.US_ASCII);
    }

    private static IllegalArgumentException malformed(String why) {
        return new IllegalArgumentException("not a readable WAV file: " + why);
    }
}

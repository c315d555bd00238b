// RIFF/WAVE files for AudioPipelineOutput: 16-bit PCM or 32-bit float samples, generation settings in LIST/INFO.
package io.diffusers4j.audio;

import io.diffusers4j.utils.AtomicFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes audio as a WAVE file: a {@code fmt } chunk (PCM, format 1, for 16-bit integer samples; IEEE float, format
 * 3, with the {@code fact} chunk the format asks for, for 32-bit float samples), the interleaved {@code data}, and a
 * {@code LIST}/{@code INFO} chunk holding text entries under four-character ids ({@code INAM} title, {@code ICMT}
 * comment, {@code ISFT} software, ...): players show them, and {@link WavReader} reads them back. 16-bit samples are
 * {@code round(clamp(x, -1, 1) * 32767)}; float samples are written as they are.
 */
public final class WavWriter {
    /** The sample encodings. */
    public enum Format {
        /** Signed 16-bit little-endian integers (format tag 1). */
        PCM_16(1, 16),
        /** IEEE 754 32-bit little-endian floats (format tag 3). */
        FLOAT_32(3, 32);

        final int tag;
        final int bits;

        Format(int tag, int bits) {
            this.tag = tag;
            this.bits = bits;
        }

        /** "pcm16" or "float32" (the command line's names). */
        public static Format parse(String name) {
            return switch (name) {
                case "pcm16" -> PCM_16;
                case "float32" -> FLOAT_32;
                default -> throw new IllegalArgumentException("WAV sample format must be pcm16 or float32, got '"
                        + name + "'");
            };
        }
    }

    /** RIFF sizes are 32-bit: the whole file must stay below 4 GiB. */
    private static final long MAX_RIFF_SIZE = 0xFFFFFFFFL;

    private WavWriter() {
    }

    /**
     * The WAVE bytes of {@code planar} audio ({@code channels} rows of samples one after the other, as
     * {@code AudioPipelineOutput.audio(i)} gives them) at {@code sampleRate}, with {@code info} as LIST/INFO entries
     * (id: four ASCII characters; value: text, written as UTF-8; empty map: no LIST chunk).
     */
    public static byte[] encode(float[] planar, int channels, int sampleRate, Format format,
                                Map<String, String> info) {
        if (channels < 1 || planar.length % channels != 0) {
            throw new IllegalArgumentException("audio of " + planar.length + " values does not split into "
                    + channels + " channels");
        }
        if (sampleRate < 1) {
            throw new IllegalArgumentException("sample rate must be >= 1, got " + sampleRate);
        }
        int frames = planar.length / channels;
        int bytesPerSample = format.bits / 8;
        long dataSize = (long) planar.length * bytesPerSample;
        byte[] list = infoChunk(info);
        boolean isFloat = format == Format.FLOAT_32;
        long fmtSize = isFloat ? 18 : 16;
        long riffSize = 4 + 8 + fmtSize + (isFloat ? 12 : 0) + 8 + dataSize + (dataSize & 1) + list.length;
        if (riffSize > MAX_RIFF_SIZE || riffSize + 8 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("audio of " + planar.length + " samples is too large for one WAV file");
        }
        ByteBuffer b = ByteBuffer.allocate((int) (riffSize + 8)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("RIFF")).putInt((int) riffSize).put(ascii("WAVE"));
        b.put(ascii("fmt ")).putInt((int) fmtSize).putShort((short) format.tag).putShort((short) channels)
                .putInt(sampleRate).putInt(sampleRate * channels * bytesPerSample)
                .putShort((short) (channels * bytesPerSample)).putShort((short) format.bits);
        if (isFloat) {
            b.putShort((short) 0); // cbSize: no extension
            b.put(ascii("fact")).putInt(4).putInt(frames);
        }
        b.put(ascii("data")).putInt((int) dataSize);
        for (int f = 0; f < frames; f++) {
            for (int c = 0; c < channels; c++) {
                float v = planar[c * frames + f];
                if (isFloat) {
                    b.putFloat(v);
                } else {
                    float clamped = Float.isNaN(v) ? 0f : Math.max(-1f, Math.min(1f, v));
                    b.putShort((short) Math.round(clamped * 32767f));
                }
            }
        }
        if ((dataSize & 1) != 0) {
            b.put((byte) 0);
        }
        b.put(list);
        return b.array();
    }

    /** {@link #encode} written to {@code file} atomically (a temporary file renamed into place). */
    public static void write(Path file, float[] planar, int channels, int sampleRate, Format format,
                             Map<String, String> info) throws IOException {
        AtomicFiles.write(file, encode(planar, channels, sampleRate, format, info));
    }

    /** {@code LIST} + {@code INFO} + one sub-chunk per entry (NUL-terminated text, padded to an even size). */
    private static byte[] infoChunk(Map<String, String> info) {
        if (info == null || info.isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream entries = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : info.entrySet()) {
            checkId(e.getKey());
            byte[] text = (e.getValue() == null ? "" : e.getValue()).getBytes(StandardCharsets.UTF_8);
            int size = text.length + 1;
            ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            head.put(ascii(e.getKey())).putInt(size);
            entries.writeBytes(head.array());
            entries.writeBytes(text);
            entries.write(0);
            if ((size & 1) != 0) {
                entries.write(0);
            }
        }
        byte[] body = entries.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(12 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(ascii("LIST")).putInt(4 + body.length).put(ascii("INFO")).put(body);
        return out.array();
    }

    /** An INFO id: four printable ASCII characters, e.g. {@code ICMT}. */
    static void checkId(String id) {
        if (id == null || id.length() != 4 || !id.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7F)) {
            throw new IllegalArgumentException("a WAV INFO id must be four printable ASCII characters, got '" + id
                    + "'");
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

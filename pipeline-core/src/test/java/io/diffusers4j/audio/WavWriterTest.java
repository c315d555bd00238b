package io.diffusers4j.audio;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WavWriterTest {
    /** Two channels of three samples, planar: left 0, 0.5, -1; right 1, -0.25, 2 (clamped in 16-bit). */
    private static final float[] STEREO = {0f, 0.5f, -1f, 1f, -0.25f, 2f};

    @Test
    void pcm16IsInterleavedRoundedAndClamped() {
        byte[] wav = WavWriter.encode(STEREO, 2, 16000, WavWriter.Format.PCM_16, Map.of());
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("RIFF", ascii(wav, 0));
        assertEquals(wav.length - 8, b.getInt(4));
        assertEquals("WAVE", ascii(wav, 8));
        assertEquals("fmt ", ascii(wav, 12));
        assertEquals(16, b.getInt(16));
        assertEquals(1, b.getShort(20), "PCM");
        assertEquals(2, b.getShort(22));
        assertEquals(16000, b.getInt(24));
        assertEquals(16000 * 2 * 2, b.getInt(28), "byte rate");
        assertEquals(4, b.getShort(32), "block align");
        assertEquals(16, b.getShort(34));
        assertEquals("data", ascii(wav, 36));
        assertEquals(12, b.getInt(40));
        short[] frames = new short[6];
        for (int i = 0; i < 6; i++) {
            frames[i] = b.getShort(44 + 2 * i);
        }
        assertArrayEquals(new short[] {0, 32767, 16384, -8192, -32767, 32767}, frames,
                "frames interleave the channels; round(x * 32767), clamped to [-1, 1]");
        WavReader read = WavReader.read(wav);
        assertEquals(3, read.frames());
        assertEquals(0.5f, read.planar()[1], 1e-4f);
    }

    @Test
    void float32HasTheFactChunkAndKeepsTheValues() {
        byte[] wav = WavWriter.encode(STEREO, 2, 22050, WavWriter.Format.FLOAT_32, Map.of());
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(18, b.getInt(16), "fmt with cbSize for a non-PCM format");
        assertEquals(3, b.getShort(20), "IEEE float");
        assertEquals("fact", ascii(wav, 38));
        assertEquals(3, b.getInt(46), "sample frames");
        WavReader read = WavReader.read(wav);
        assertEquals(WavWriter.Format.FLOAT_32, read.format());
        assertEquals(22050, read.sampleRate());
        assertArrayEquals(STEREO, read.planar(), "float samples are written as they are (2 stays 2)");
    }

    @Test
    void infoEntriesAreWordAlignedAndReadBack() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("INAM", "000");
        info.put("ICMT", "Steps: 100, Sampler: IPNDMScheduler, Seed: 42");
        info.put("ISFT", "Diffusers4J é");
        byte[] wav = WavWriter.encode(new float[] {0.1f, 0.2f, 0.3f}, 1, 8000, WavWriter.Format.PCM_16, info);
        assertTrue(new String(wav, StandardCharsets.ISO_8859_1).contains("LIST"));
        assertEquals(0, wav.length % 2, "odd data and text sizes are padded");
        WavReader read = WavReader.read(wav);
        assertEquals(info, read.info());
        assertEquals(3, read.frames());
        assertThrows(IllegalArgumentException.class,
                () -> WavWriter.encode(new float[2], 1, 8000, WavWriter.Format.PCM_16, Map.of("COMMENT", "x")));
        assertThrows(IllegalArgumentException.class,
                () -> WavWriter.encode(new float[3], 2, 8000, WavWriter.Format.PCM_16, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> WavReader.read(new byte[] {'R', 'I', 'F', 'F'}));
    }

    private static String ascii(byte[] b, int offset) {
        return new String(b, offset, 4, StandardCharsets.US_ASCII);
    }
}

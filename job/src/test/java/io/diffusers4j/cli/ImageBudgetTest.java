// The limits of a generate run on machines of given memory and disk (no rendering).
package io.diffusers4j.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageBudgetTest {
    private static final long GIB = 1L << 30;
    private static final String WHAT = "--num-images-per-prompt 200 x 1 prompt";

    private static ImageBudget.Machine machine(long available, long physical, long heap, long disk) {
        return new ImageBudget.Machine(available, physical, heap, disk);
    }

    @Test
    void theDefaultCapIsWhatTheFreeSpaceHoldsAndAGivenMaxImagesWins() {
        // a 64x64 PNG takes at most 12 KiB of pixels + 64 KiB for chunks and text: 77,893 bytes
        ImageBudget png = new ImageBudget(machine(8 * GIB, 16 * GIB, GIB, 10L << 20), 64, 64, null, true, true);
        png.checkRun(134, WHAT, null);
        UsageException e = assertThrows(UsageException.class, () -> png.checkRun(200, WHAT, null));
        assertEquals(WHAT + " = 200 images of 64x64, more than the 134 that the free space where --output goes "
                + "(10 MiB) holds at up to 76 KiB per PNG (the default of --max-images)", e.getMessage());
        png.checkRun(200, WHAT, 1000);
        assertEquals(WHAT + " = 200 images, more than --max-images 100",
                assertThrows(UsageException.class, () -> png.checkRun(200, WHAT, 100)).getMessage());

        // latents [4, 8, 8] as float32: exactly 1 KiB each
        ImageBudget latents = new ImageBudget(machine(8 * GIB, 16 * GIB, GIB, 100 << 10), 64, 64,
                new long[] {4, 8, 8}, false, true);
        latents.checkRun(100, WHAT, null);
        assertThrows(UsageException.class, () -> latents.checkRun(101, WHAT, null));
        // however large the disk, at most a million images
        ImageBudget huge = new ImageBudget(machine(8 * GIB, 16 * GIB, GIB, Long.MAX_VALUE), 8, 8,
                new long[] {4, 1, 1}, false, true);
        huge.checkRun(ImageBudget.MAX_IMAGES_LIMIT, WHAT, null);
        assertThrows(UsageException.class, () -> huge.checkRun(ImageBudget.MAX_IMAGES_LIMIT + 1L, WHAT, null));
    }

    @Test
    void audioClipsAreNamedByTheirLengthFlagAndSamples() {
        // 2 channels x 100,000,000 samples: 200 M "pixels" of (8,192 + 20) bytes, more than 16 GiB
        ImageBudget clips = new ImageBudget(machine(8 * GIB, 16 * GIB, GIB, GIB), 2, 100_000_000,
                new long[] {2, 100_000_000}, false, true).forAudio("--audio-length-in-s 6250.0");
        UsageException e = assertThrows(UsageException.class, () -> clips.checkRun(1, WHAT, null));
        assertTrue(e.getMessage().startsWith("--audio-length-in-s 6250.0: one image needs about "), e.getMessage());
        ImageBudget small = new ImageBudget(machine(8 * GIB, 16 * GIB, GIB, 1L << 20), 2, 800, new long[] {2, 800},
                false, true).forAudio("--audio-length-in-s 0.05");
        UsageException disk = assertThrows(UsageException.class, () -> small.checkRun(1000, WHAT, null));
        assertTrue(disk.getMessage().contains("images of 2 x 800 samples") && disk.getMessage().contains(
                "per clip (WAV or .npy entry)"), disk.getMessage());
    }

    @Test
    void imagesPerCallFollowTheMemoryAvailable() {
        // 512x512 on the CPU: 262,144 pixels x (8,192 + 20) bytes = 2.0 GiB per image
        long perImage = 262_144L * (ImageBudget.NATIVE_BYTES_PER_PIXEL + ImageBudget.HEAP_BYTES_PER_PIXEL);
        ImageBudget big = new ImageBudget(machine(64 * GIB, 128 * GIB, 8 * GIB, GIB), 512, 512, null, true, true);
        assertEquals(perImage, big.memoryPerImage());
        assertEquals(8, big.batchSize(null, 100), "the job's default when memory allows");
        assertEquals(3, big.batchSize(null, 3), "never more than the request");
        ImageBudget small = new ImageBudget(machine(9 * GIB, 24 * GIB, 8 * GIB, GIB), 512, 512, null, true, true);
        assertEquals(2, small.batchSize(null, 100), "half of 9 GiB available holds two");
        ImageBudget tight = new ImageBudget(machine(GIB, 24 * GIB, 8 * GIB, GIB), 512, 512, null, true, true);
        assertEquals(1, tight.batchSize(null, 100), "at least one");
        assertEquals(11, tight.batchSize(11, 100), "a --batch-size that fits the machine's memory is taken");
        UsageException e = assertThrows(UsageException.class, () -> tight.batchSize(12, 100));
        assertEquals("--batch-size 12: 12 images of 512x512 at once need about 24 GiB of memory (estimate), more "
                + "than this machine's 24 GiB; at most 11 fit", e.getMessage());
        // on a GPU the tensors are in its memory: only the decoded images in the Java heap count here
        ImageBudget gpu = new ImageBudget(machine(GIB, 24 * GIB, 8 * GIB, GIB), 512, 512, null, true, false);
        assertEquals(8, gpu.batchSize(null, 100));
    }

    @Test
    void anImageLargerThanTheMachineIsRefusedNamingTheSizeFlags() {
        ImageBudget huge = new ImageBudget(machine(16 * GIB, 24 * GIB, 8 * GIB, Long.MAX_VALUE), 65536, 65536,
                null, true, true);
        UsageException e = assertThrows(UsageException.class, () -> huge.checkRun(1, WHAT, null));
        assertTrue(e.getMessage().startsWith("--height 65536 --width 65536: one image needs about 32 TiB of memory "
                + "(estimate), more than this machine's 24 GiB"), e.getMessage());
        // sizes whose products overflow 64 bits are compared, never allocated
        ImageBudget absurd = new ImageBudget(machine(GIB, GIB, GIB, GIB), Integer.MAX_VALUE, Integer.MAX_VALUE,
                null, true, true);
        assertThrows(UsageException.class, () -> absurd.checkRun(1, WHAT, null));
        assertEquals(Long.MAX_VALUE, ImageBudget.times(Long.MAX_VALUE / 2, 3));
    }

    @Test
    void thisMachineIsRead() {
        ImageBudget.Machine here = ImageBudget.Machine.current(Path.of("."));
        assertTrue(here.physicalMemory() > 0 && here.availableMemory() > 0 && here.freeHeap() > 0
                && here.freeDisk() > 0, here.toString());
        assertTrue(here.availableMemory() <= here.physicalMemory(), here.toString());
    }
}

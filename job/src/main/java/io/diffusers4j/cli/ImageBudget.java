// How many images one `generate` run may write, and how many go into one pipeline call, sized to this machine.
package io.diffusers4j.cli;

import com.sun.management.OperatingSystemMXBean;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The limits of a {@code generate} run, each checked before anything of its size is allocated:
 * <ul>
 *   <li>images per run ({@code --max-images}): at most {@link #MAX_IMAGES_LIMIT}; by default what the free space
 *       where the output goes holds, at the largest size one image can take there (.npy: exactly its float32
 *       array; PNG: uncompressed RGB plus its text chunks);</li>
 *   <li>images per pipeline call ({@code --batch-size}): by default {@link #DEFAULT_BATCH} (the job's default),
 *       fewer when half the memory available now does not hold that many; a request larger than this is
 *       rendered in several calls (micro-batches) and written as it goes, so memory no longer grows with the
 *       number of images;</li>
 *   <li>one image, and a --batch-size given, must fit this machine's physical memory.</li>
 * </ul>
 * The memory of one image is an estimate: {@link #NATIVE_BYTES_PER_PIXEL} for the pipeline's tensors (measured on
 * the SD-1.5 architecture: 525 MiB above the weights at 256x256 with guidance, docs/performance.md; smaller UNets
 * take less) plus {@link #HEAP_BYTES_PER_PIXEL} for the decoded image in the Java heap. On a GPU the tensors live in
 * the GPU's memory, which is not measured here: only the heap part bounds a call there.
 */
final class ImageBudget {
    /** Images one run writes at most, whatever the disk holds (PNG names up to 6 digits). */
    static final int MAX_IMAGES_LIMIT = 1_000_000;
    /** Images per pipeline call by default: the job's default batch size (docs/performance.md#micro-batching). */
    static final int DEFAULT_BATCH = 8;
    static final long NATIVE_BYTES_PER_PIXEL = 8 << 10;
    /** float32 RGB (12 bytes) + the 8-bit picture (4) + its PNG (up to ~3) per pixel, rounded up. */
    static final long HEAP_BYTES_PER_PIXEL = 20;
    /** Room for a PNG's chunks and text (prompts, parameters) besides its pixels. */
    private static final long PNG_OVERHEAD = 64 << 10;

    /**
     * What this machine has: memory available now and in all (bytes), Java heap still free, free space where the
     * output goes.
     */
    record Machine(long availableMemory, long physicalMemory, long freeHeap, long freeDisk) {
        static Machine current(Path outputFolder) {
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long physical = os.getTotalMemorySize();
            long available = Math.min(physical, memAvailable(os));
            Runtime rt = Runtime.getRuntime();
            long freeHeap = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            long disk;
            try {
                disk = Files.getFileStore(outputFolder).getUsableSpace();
            } catch (IOException e) {
                throw new UsageException("--output: cannot read the free space of " + outputFolder + ": "
                        + e.getMessage());
            }
            return new Machine(available, physical, freeHeap, disk);
        }

        /** Linux's MemAvailable (page cache that can be dropped counts), else the free memory the JVM reports. */
        private static long memAvailable(OperatingSystemMXBean os) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.US_ASCII)) {
                    if (line.startsWith("MemAvailable:")) {
                        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // not Linux: fall through
            }
            return os.getFreeMemorySize();
        }
    }

    private final Machine machine;
    private final int height;
    private final int width;
    /** The flags that set one item's size, for messages ("--height 64 --width 64", "--audio-length-in-s 4.0"). */
    private String sizeFlags;
    /** One item's size, for messages ("64x64", "2 x 64000 samples"). */
    private String itemSize;
    private final long diskPerImage;
    private String outputKind;
    private final boolean tensorsInHostMemory;

    /**
     * @param imageShape          one image's output array ({@code [H, W, 3]} or latents), null when unknown
     * @param png                 the output is PNG files (else one .npy)
     * @param tensorsInHostMemory the pipeline runs on the CPU
     */
    ImageBudget(Machine machine, int height, int width, long[] imageShape, boolean png, boolean tensorsInHostMemory) {
        this.machine = machine;
        this.height = height;
        this.width = width;
        this.sizeFlags = "--height " + height + " --width " + width;
        this.itemSize = width + "x" + height;
        long pixels = (long) height * width;
        long array = times(4, imageShape == null ? times(3, pixels) : elements(imageShape));
        this.diskPerImage = png ? plus(times(3, pixels), height + 5 * (pixels / 21845 + 1) + PNG_OVERHEAD) : array;
        this.outputKind = png ? "PNG" : ".npy entry";
        this.tensorsInHostMemory = tensorsInHostMemory;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = times(n, d);
        }
        return n;
    }

    /** a * b for sizes: Long.MAX_VALUE when it overflows (sizes are compared, never allocated). */
    static long times(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        return high != 0 || low < 0 ? Long.MAX_VALUE : low;
    }

    private static long plus(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * This budget for audio clips of {@code channels x samples} (the constructor's height and width) that
     * {@code lengthFlag} asked for: the messages name it and the clip's size instead of a picture's.
     */
    ImageBudget forAudio(String lengthFlag) {
        this.sizeFlags = lengthFlag;
        this.itemSize = height + " x " + width + " samples";
        this.outputKind = "clip (WAV or .npy entry)";
        return this;
    }

    /** Memory one image takes during a pipeline call (estimate). */
    long memoryPerImage() {
        long pixels = (long) height * width;
        return times(pixels, HEAP_BYTES_PER_PIXEL + (tensorsInHostMemory ? NATIVE_BYTES_PER_PIXEL : 0));
    }

    /**
     * Refuses a run of {@code total} images ({@code what}: the flags that asked for them) beyond
     * {@code --max-images} ({@code requestedMax}, or by default what the free space holds), or whose single image
     * does not fit this machine's memory.
     */
    void checkRun(long total, String what, Integer requestedMax) {
        if (tensorsInHostMemory && memoryPerImage() > machine.physicalMemory()) {
            throw new UsageException(sizeFlags + ": one image needs about "
                    + bytes(memoryPerImage()) + " of memory (estimate), more than this machine's "
                    + bytes(machine.physicalMemory()));
        }
        if (requestedMax != null) {
            if (total > requestedMax) {
                throw new UsageException(what + " = " + total + " images, more than --max-images " + requestedMax);
            }
            return;
        }
        long fits = Math.min(MAX_IMAGES_LIMIT, machine.freeDisk() / diskPerImage);
        if (total > fits) {
            throw new UsageException(what + " = " + total + " images of " + itemSize + ", more than the "
                    + fits + " that the free space where --output goes (" + bytes(machine.freeDisk()) + ") holds "
                    + "at up to " + bytes(diskPerImage) + " per " + outputKind + " (the default of --max-images)");
        }
    }

    /**
     * Images per pipeline call: {@code requested} (--batch-size) if this machine's memory can hold that many at
     * once, else a refusal; by default {@link #DEFAULT_BATCH}, fewer when half the memory available now (and half
     * the free Java heap) holds fewer. Never more than {@code total}.
     */
    int batchSize(Integer requested, int total) {
        long perImage = memoryPerImage();
        if (requested != null) {
            long need = times(perImage, requested);
            long room = tensorsInHostMemory ? machine.physicalMemory() : machine.freeHeap();
            if (need > room) {
                throw new UsageException("--batch-size " + requested + ": " + requested + " images of " + itemSize
                        + " at once need about " + bytes(need) + " of memory (estimate), more than this "
                        + "machine's " + bytes(room) + "; at most " + Math.max(1, room / perImage) + " fit");
            }
            return Math.min(requested, total);
        }
        long heapFits = machine.freeHeap() / 2 / times(HEAP_BYTES_PER_PIXEL, (long) height * width);
        long fits = tensorsInHostMemory ? Math.min(heapFits, machine.availableMemory() / 2 / perImage) : heapFits;
        return (int) Math.max(1, Math.min(Math.min(DEFAULT_BATCH, total), fits));
    }

    /** 1.5 GiB, 320 MiB, 12 KiB. */
    static String bytes(long n) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " bytes" : String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }
}

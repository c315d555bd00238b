// The subset of PIL.Image that diffusers' image_processor.py relies on: 8-bit "L"/"RGB" pixels, convert, crop, paste.
package io.diffusers4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Arrays;

/**
 * An immutable 8-bit image in one of PIL's two modes that the Stable Diffusion pre-processing uses: {@code L}
 * (grey) or {@code RGB}. Pixels are interleaved, row-major. The operations follow PIL's arithmetic exactly
 * ({@code convert("L")} with ITU-R 601-2 fixed-point weights, {@code resize} via {@link PilResample}).
 *
 * <p>Reading a {@link BufferedImage}: grey images (including grey + alpha) become {@code L} from the raster's
 * stored samples (not through {@code getRGB}, which would apply a gamma conversion); everything else becomes
 * {@code RGB} through {@code getRGB} with alpha dropped — what PIL's {@code convert("RGB")} does to {@code RGBA}
 * (no compositing). 16-bit samples keep their high byte.
 */
public final class PilImage {
    /** PIL image modes supported here. */
    public enum Mode {
        L(1), RGB(3);

        private final int bands;

        Mode(int bands) {
            this.bands = bands;
        }

        public int bands() {
            return bands;
        }
    }

    private final Mode mode;
    private final int width;
    private final int height;
    private final byte[] data;

    private PilImage(Mode mode, int width, int height, byte[] data) {
        this.mode = mode;
        this.width = width;
        this.height = height;
        this.data = data;
    }

    /** Wraps (a copy of) {@code pixels}: {@code width * height * mode.bands()} interleaved bytes. */
    public static PilImage of(Mode mode, int width, int height, byte[] pixels) {
        checkSize(width, height);
        long n = (long) width * height * mode.bands();
        if (pixels.length != n) {
            throw new IllegalArgumentException("mode " + mode + " " + width + "x" + height + " needs " + n
                    + " bytes, got " + pixels.length);
        }
        return new PilImage(mode, width, height, pixels.clone());
    }

    /** A new image filled with zeros (PIL's {@code Image.new(mode, size)}). */
    public static PilImage blank(Mode mode, int width, int height) {
        checkSize(width, height);
        return new PilImage(mode, width, height, new byte[Math.multiplyExact(width * height, mode.bands())]);
    }

    static PilImage wrap(Mode mode, int width, int height, byte[] pixels) {
        return new PilImage(mode, width, height, pixels);
    }

    private static void checkSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 3 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image " + width + "x" + height + " is too large");
        }
    }

    /** Reads a BufferedImage as {@code L} (grey colour spaces) or {@code RGB} (everything else, alpha dropped). */
    public static PilImage fromBufferedImage(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        checkSize(w, h);
        ColorSpace cs = image.getColorModel().getColorSpace();
        if (cs.getType() == ColorSpace.TYPE_GRAY) {
            Raster r = image.getRaster();
            int bits = image.getColorModel().getComponentSize(0);
            int shift = Math.max(0, bits - 8);
            byte[] out = new byte[w * h];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = (byte) (row[x] >>> shift);
                }
            }
            return new PilImage(Mode.L, w, h, out);
        }
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int o = (y * w + x) * 3;
                out[o] = (byte) (p >>> 16);
                out[o + 1] = (byte) (p >>> 8);
                out[o + 2] = (byte) p;
            }
        }
        return new PilImage(Mode.RGB, w, h, out);
    }

    /** {@code L} as {@code TYPE_BYTE_GRAY}, {@code RGB} as {@code TYPE_INT_RGB}. */
    public BufferedImage toBufferedImage() {
        if (mode == Mode.L) {
            BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
            WritableRaster r = out.getRaster();
            r.setDataElements(0, 0, width, height, data.clone());
            return out;
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * 3;
                row[x] = (data[o] & 0xFF) << 16 | (data[o + 1] & 0xFF) << 8 | data[o + 2] & 0xFF;
            }
            out.setRGB(0, y, width, 1, row, 0, width);
        }
        return out;
    }

    public Mode mode() {
        return mode;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int bands() {
        return mode.bands();
    }

    /** A copy of the interleaved pixel bytes. */
    public byte[] pixels() {
        return data.clone();
    }

    byte[] pixelsNoCopy() {
        return data;
    }

    /** Sample {@code band} of pixel (x, y), 0..255. */
    public int get(int x, int y, int band) {
        return data[(y * width + x) * mode.bands() + band] & 0xFF;
    }

    /**
     * PIL's {@code convert(mode)}: RGB to L is {@code (R*19595 + G*38470 + B*7471 + 0x8000) >> 16} (ITU-R 601-2
     * luma in 16-bit fixed point, rounding halves up); L to RGB copies the grey level to the three channels.
     */
    public PilImage convert(Mode target) {
        if (target == mode) {
            return this;
        }
        int n = width * height;
        if (target == Mode.L) {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                int r = data[3 * i] & 0xFF;
                int g = data[3 * i + 1] & 0xFF;
                int b = data[3 * i + 2] & 0xFF;
                out[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16);
            }
            return new PilImage(Mode.L, width, height, out);
        }
        byte[] out = new byte[n * 3];
        for (int i = 0; i < n; i++) {
            out[3 * i] = data[i];
            out[3 * i + 1] = data[i];
            out[3 * i + 2] = data[i];
        }
        return new PilImage(Mode.RGB, width, height, out);
    }

    /** PIL's {@code crop((x0, y0, x1, y1))}: pixels outside the image are zero. */
    public PilImage crop(int x0, int y0, int x1, int y1) {
        if (x1 <= x0 || y1 <= y0) {
            throw new IllegalArgumentException("crop box (" + x0 + ", " + y0 + ", " + x1 + ", " + y1
                    + ") is empty or inverted");
        }
        PilImage out = blank(mode, x1 - x0, y1 - y0);
        return out.paste(this, -x0, -y0);
    }

    /**
     * PIL's {@code paste(src, box=(x, y))} onto a copy of this image; parts of {@code src} outside this image are
     * clipped, and {@code src} is first converted to this image's mode.
     */
    public PilImage paste(PilImage src, int x, int y) {
        PilImage s = src.convert(mode);
        byte[] out = data.clone();
        int bands = mode.bands();
        int xs = Math.max(0, -x);
        int xe = Math.min(s.width, width - x);
        for (int sy = Math.max(0, -y); sy < s.height && sy + y < height; sy++) {
            if (xe > xs) {
                System.arraycopy(s.data, (sy * s.width + xs) * bands, out, ((sy + y) * width + x + xs) * bands,
                        (xe - xs) * bands);
            }
        }
        return new PilImage(mode, width, height, out);
    }

    /** PIL's {@code resize((width, height), filter)} over the whole image. */
    public PilImage resize(int newWidth, int newHeight, PilResample.Filter filter) {
        return PilResample.resize(this, newWidth, newHeight, filter, null);
    }

    /** PIL's {@code resize((width, height), filter, box)} with a source box {@code (x0, y0, x1, y1)}. */
    public PilImage resize(int newWidth, int newHeight, PilResample.Filter filter, float[] box) {
        return PilResample.resize(this, newWidth, newHeight, filter, box);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PilImage p && p.mode == mode && p.width == width && p.height == height
                && Arrays.equals(p.data, data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data) * 31 + width * 7 + height;
    }

    @Override
    public String toString() {
        return "PilImage[" + mode + " " + width + "x" + height + "]";
    }
}

// Port of Pillow's Image.resize for 8-bit images (libImaging/Resample.c convolution, Geometry.c nearest scaling).
package io.diffusers4j.image;

import java.util.Arrays;
import java.util.Locale;

/**
 * PIL's {@code Image.resize} on {@link PilImage}s, integer arithmetic and all, so that a resize done here gives the
 * bytes Pillow gives (diffusers' {@code VaeImageProcessor} resizes with {@code LANCZOS} by default).
 *
 * <p>The convolution filters follow {@code Resample.c}: per output pixel, filter weights centred on
 * {@code (i + 0.5) * scale} with support {@code filter.support * max(scale, 1)}, normalised to sum 1, converted to
 * fixed point with 22 fractional bits, accumulated in {@code int} with a rounding bias and clipped to 0..255 —
 * first horizontally into an 8-bit intermediate image, then vertically. {@code NEAREST} follows
 * {@code ImagingScaleAffine}. Same size and full box returns the image unchanged (Pillow copies it).
 *
 * <p>The filter functions use {@link StrictMath} where C uses libm; the double weights can therefore differ in the
 * last bit from Pillow's, which changes an output byte only if a fixed-point coefficient lands exactly on a
 * rounding boundary.
 */
public final class PilResample {
    /** Pillow's {@code Image.Resampling} members. */
    public enum Filter {
        NEAREST(0), BOX(0.5), BILINEAR(1.0), HAMMING(1.0), BICUBIC(2.0), LANCZOS(3.0);

        private final double support;

        Filter(double support) {
            this.support = support;
        }

        /** diffusers' {@code PIL_INTERPOLATION} names: linear, bilinear, bicubic, lanczos, nearest. */
        public static Filter fromDiffusersName(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "linear", "bilinear" -> BILINEAR;
                case "bicubic" -> BICUBIC;
                case "lanczos" -> LANCZOS;
                case "nearest" -> NEAREST;
                default -> throw new IllegalArgumentException("unknown resample '" + name
                        + "' (diffusers supports linear, bilinear, bicubic, lanczos, nearest)");
            };
        }

        double apply(double x) {
            switch (this) {
                case BOX:
                    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
                case BILINEAR:
                    x = Math.abs(x);
                    return x < 1.0 ? 1.0 - x : 0.0;
                case HAMMING:
                    x = Math.abs(x);
                    if (x == 0.0) {
                        return 1.0;
                    }
                    if (x >= 1.0) {
                        return 0.0;
                    }
                    x = x * Math.PI;
                    return StrictMath.sin(x) / x * ((double) 0.54f + (double) 0.46f * StrictMath.cos(x));
                case BICUBIC: {
                    final double a = -0.5;
                    x = Math.abs(x);
                    if (x < 1.0) {
                        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                    }
                    if (x < 2.0) {
                        return (((x - 5) * x + 8) * x - 4) * a;
                    }
                    return 0.0;
                }
                case LANCZOS:
                    return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
                default:
                    throw new IllegalStateException("no convolution filter for " + this);
            }
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return StrictMath.sin(x) / x;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResample() {
    }

    /**
     * {@code image.resize((width, height), filter, box)}; {@code box} = {@code {x0, y0, x1, y1}} in source pixels
     * (floats, like PIL), or null for the whole image.
     */
    public static PilImage resize(PilImage image, int width, int height, Filter filter, float[] box) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        }
        float[] b = box == null ? new float[] {0, 0, image.width(), image.height()} : box.clone();
        if (b.length != 4) {
            throw new IllegalArgumentException("resize box needs 4 values, got " + b.length);
        }
        if (b[0] < 0 || b[1] < 0 || b[2] > image.width() || b[3] > image.height() || b[2] < b[0] || b[3] < b[1]) {
            throw new IllegalArgumentException("resize box (" + b[0] + ", " + b[1] + ", " + b[2] + ", " + b[3]
                    + ") is not inside the " + image.width() + "x" + image.height() + " image");
        }
        if (width == image.width() && height == image.height() && b[0] == 0 && b[1] == 0
                && b[2] == image.width() && b[3] == image.height()) {
            return image;
        }
        if (filter == Filter.NEAREST) {
            return nearest(image, width, height, b);
        }
        return convolve(image, width, height, filter, b);
    }

    /** Pillow's {@code ImagingScaleAffine}: source index {@code (int)(box0 + scale * (i + 0.5))}, accumulated. */
    private static PilImage nearest(PilImage in, int width, int height, float[] box) {
        double sx = (double) (box[2] - box[0]) / width;
        double sy = (double) (box[3] - box[1]) / height;
        int[] xin = new int[width];
        double xo = box[0] + sx * 0.5;
        for (int x = 0; x < width; x++) {
            xin[x] = coord(xo);
            xo += sx;
        }
        int bands = in.bands();
        byte[] src = in.pixelsNoCopy();
        byte[] out = new byte[width * height * bands];
        double yo = box[1] + sy * 0.5;
        for (int y = 0; y < height; y++) {
            int yi = coord(yo);
            yo += sy;
            if (yi < 0 || yi >= in.height()) {
                continue;
            }
            for (int x = 0; x < width; x++) {
                if (xin[x] >= 0 && xin[x] < in.width()) {
                    System.arraycopy(src, (yi * in.width() + xin[x]) * bands, out, (y * width + x) * bands, bands);
                }
            }
        }
        return PilImage.wrap(in.mode(), width, height, out);
    }

    private static int coord(double v) {
        return v < 0.0 ? -1 : (int) v;
    }

    /** Coefficients of one pass: per output index, first source index, count and fixed-point weights. */
    private record Coeffs(int ksize, int[] bounds, int[] kk) {
    }

    /** {@code precompute_coeffs} + {@code normalize_coeffs_8bpc}. */
    static Coeffs coefficients(int inSize, float in0, float in1, int outSize, Filter filter) {
        double scale = (double) (in1 - in0) / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = filter.support * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        if ((long) outSize * ksize > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException("resize to " + outSize + " pixels needs too many coefficients");
        }
        double[] pre = new double[outSize * ksize];
        int[] bounds = new int[outSize * 2];
        for (int xx = 0; xx < outSize; xx++) {
            double center = in0 + (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            int k = xx * ksize;
            for (int x = 0; x < xmax; x++) {
                double w = filter.apply((x + xmin - center + 0.5) * ss);
                pre[k + x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                if (ww != 0.0) {
                    pre[k + x] /= ww;
                }
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        int[] kk = new int[pre.length];
        for (int i = 0; i < pre.length; i++) {
            kk[i] = pre[i] < 0 ? (int) (-0.5 + pre[i] * (1 << PRECISION_BITS))
                    : (int) (0.5 + pre[i] * (1 << PRECISION_BITS));
        }
        return new Coeffs(ksize, bounds, kk);
    }

    private static int clip8(int v) {
        int s = v >> PRECISION_BITS;
        return s < 0 ? 0 : Math.min(s, 255);
    }

    /** {@code ImagingResampleInner}: horizontal pass into an 8-bit image, then vertical pass. */
    private static PilImage convolve(PilImage in, int width, int height, Filter filter, float[] box) {
        boolean needHorizontal = width != in.width() || box[0] != 0 || box[2] != width;
        boolean needVertical = height != in.height() || box[1] != 0 || box[3] != height;
        int bands = in.bands();
        byte[] src = in.pixelsNoCopy();
        int srcW = in.width();
        int srcH = in.height();
        if (needHorizontal) {
            Coeffs c = coefficients(in.width(), box[0], box[2], width, filter);
            byte[] out = new byte[width * srcH * bands];
            int[] ss = new int[bands];
            for (int y = 0; y < srcH; y++) {
                int rowIn = y * srcW;
                int rowOut = y * width;
                for (int xx = 0; xx < width; xx++) {
                    int xmin = c.bounds[2 * xx];
                    int xmax = c.bounds[2 * xx + 1];
                    int k = xx * c.ksize;
                    Arrays.fill(ss, 1 << (PRECISION_BITS - 1));
                    for (int x = 0; x < xmax; x++) {
                        int p = (rowIn + x + xmin) * bands;
                        int w = c.kk[k + x];
                        for (int b = 0; b < bands; b++) {
                            ss[b] += (src[p + b] & 0xFF) * w;
                        }
                    }
                    int o = (rowOut + xx) * bands;
                    for (int b = 0; b < bands; b++) {
                        out[o + b] = (byte) clip8(ss[b]);
                    }
                }
            }
            src = out;
            srcW = width;
        }
        if (needVertical) {
            Coeffs c = coefficients(in.height(), box[1], box[3], height, filter);
            byte[] out = new byte[srcW * height * bands];
            int rowLen = srcW * bands;
            for (int yy = 0; yy < height; yy++) {
                int ymin = c.bounds[2 * yy];
                int ymax = c.bounds[2 * yy + 1];
                int k = yy * c.ksize;
                for (int i = 0; i < rowLen; i++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < ymax; y++) {
                        ss += (src[(y + ymin) * rowLen + i] & 0xFF) * c.kk[k + y];
                    }
                    out[yy * rowLen + i] = (byte) clip8(ss);
                }
            }
            src = out;
        }
        return PilImage.wrap(in.mode(), srcW, needVertical ? height : srcH, src);
    }
}

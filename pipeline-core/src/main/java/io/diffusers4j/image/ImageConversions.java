// Port of the array <-> PIL conversions of diffusers.image_processor.VaeImageProcessor (numpy_to_pil, pil_to_numpy).
package io.diffusers4j.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Conversions between float images (NHWC in [0, 1], diffusers' {@code output_type="np"}), 8-bit images and
 * tensors.
 *
 * <p>Float to byte is diffusers' {@code numpy_to_pil}: {@code (images * 255).round().astype("uint8")} — the
 * product in float32, then numpy's {@code round}, which rounds halves to even (127.5 gives 128, 128.5 gives 128).
 * Values that round outside 0..255 (or NaN) are refused rather than wrapped as numpy's cast would.
 */
public final class ImageConversions {
    private ImageConversions() {
    }

    /** {@code np.round(np.float32(value) * 255)} as a byte value; throws when outside 0..255. */
    public static int toUint8(float value) {
        float scaled = value * 255f;
        double r = Math.rint(scaled);
        if (!(r >= 0 && r <= 255)) {
            throw new IllegalArgumentException("pixel value " + value + " is outside [0, 1] (x*255 rounds to " + r
                    + "); denormalize/clamp decoded images before converting them");
        }
        return (int) r;
    }

    /**
     * {@code numpy_to_pil} for one image: {@code hwc} holds {@code height * width * channels} floats in [0, 1],
     * channels 1 (grey, {@code TYPE_BYTE_GRAY}), 3 ({@code TYPE_INT_RGB}) or 4 ({@code TYPE_INT_ARGB}).
     */
    public static BufferedImage floatsToImage(float[] hwc, int offset, int height, int width, int channels) {
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("images must have 1, 3 or 4 channels, got " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        long n = (long) height * width * channels;
        if (offset < 0 || offset + n > hwc.length) {
            throw new IllegalArgumentException("need " + n + " values at offset " + offset + ", array has "
                    + hwc.length);
        }
        if (channels == 1) {
            byte[] px = new byte[height * width];
            for (int i = 0; i < px.length; i++) {
                px[i] = (byte) toUint8(hwc[offset + i]);
            }
            return PilImage.wrap(PilImage.Mode.L, width, height, px).toBufferedImage();
        }
        BufferedImage out = new BufferedImage(width, height,
                channels == 3 ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_INT_ARGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = offset + (y * width + x) * channels;
                int rgb = toUint8(hwc[o]) << 16 | toUint8(hwc[o + 1]) << 8 | toUint8(hwc[o + 2]);
                row[x] = channels == 4 ? toUint8(hwc[o + 3]) << 24 | rgb : rgb;
            }
            out.setRGB(0, y, width, 1, row, 0, width);
        }
        return out;
    }

    /** {@code numpy_to_pil} for a batch: {@code nhwc} is {@code [B, H, W, C]} (or {@code [H, W, C]}). */
    public static List<BufferedImage> numpyToPil(NDArray nhwc) {
        Shape s = nhwc.getShape();
        if (s.dimension() == 3) {
            s = new Shape(1, s.get(0), s.get(1), s.get(2));
        }
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("expected [B, H, W, C] images, got shape " + nhwc.getShape());
        }
        float[] v = nhwc.getDataType() == DataType.FLOAT32 ? nhwc.toFloatArray() : floatsOf(nhwc);
        int b = Math.toIntExact(s.get(0));
        int h = Math.toIntExact(s.get(1));
        int w = Math.toIntExact(s.get(2));
        int c = Math.toIntExact(s.get(3));
        List<BufferedImage> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            out.add(floatsToImage(v, i * h * w * c, h, w, c));
        }
        return out;
    }

    private static float[] floatsOf(NDArray a) {
        try (NDManager tmp = a.getManager().newSubManager()) {
            NDArray f = a.toType(DataType.FLOAT32, true);
            f.attach(tmp);
            return f.toFloatArray();
        }
    }

    /**
     * {@code pil_to_numpy} for one image: {@code np.array(image).astype(np.float32) / 255.0}, HWC with the image's
     * bands (1 for L, 3 for RGB).
     */
    public static float[] pilToNumpy(PilImage image) {
        byte[] px = image.pixelsNoCopy();
        float[] out = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            out[i] = (px[i] & 0xFF) / 255f;
        }
        return out;
    }

    /** {@link #pilToNumpy} of {@code image} read as RGB (alpha dropped; grey replicated). */
    public static float[] imageToFloats(BufferedImage image) {
        return pilToNumpy(PilImage.fromBufferedImage(image).convert(PilImage.Mode.RGB));
    }

    /**
     * One image as a tensor {@code [1, 3, H, W]} in [0, 1] (no resize, no normalisation), in {@code manager}.
     * {@link VaeImageProcessor#preprocess} adds the resize to a multiple of the VAE factor and the {@code 2x - 1}.
     */
    public static NDArray imageToTensor(BufferedImage image, NDManager manager) {
        PilImage p = PilImage.fromBufferedImage(image).convert(PilImage.Mode.RGB);
        return manager.create(hwcToChw(pilToNumpy(p), p.height(), p.width(), 3),
                new Shape(1, 3, p.height(), p.width()));
    }

    /** Transposes an interleaved HWC float image to planar CHW. */
    static float[] hwcToChw(float[] hwc, int h, int w, int c) {
        float[] out = new float[hwc.length];
        int plane = h * w;
        for (int i = 0; i < plane; i++) {
            for (int ch = 0; ch < c; ch++) {
                out[ch * plane + i] = hwc[i * c + ch];
            }
        }
        return out;
    }
}

// Port of diffusers.image_processor.VaeImageProcessor (diffusers 0.30): pre- and post-processing around the VAE.
package io.diffusers4j.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code VaeImageProcessor}: images to VAE input tensors ({@code preprocess}) and decoded tensors to
 * images ({@code postprocess}). Pipelines use {@link #create(int)} for images and {@link #forMask(int)} — diffusers'
 * {@code VaeImageProcessor(do_normalize=False, do_binarize=True, do_convert_grayscale=True)} — for inpainting masks.
 *
 * <p>Images given as {@link BufferedImage} are handled as PIL images: optional crop, resize (PIL's LANCZOS by
 * default, ported bit for bit in {@link PilResample}) to {@code height x width}, which default to the image's size
 * rounded down to a multiple of {@code vae_scale_factor}, conversion, then {@code /255}, {@code 2x - 1} and/or
 * binarisation. Known difference: diffusers keeps a PIL image's own mode unless {@code do_convert_rgb} or
 * {@code do_convert_grayscale} is set (so an RGBA or L image would give 4 or 1 channels and fail later in the VAE,
 * and RGBA is resized with premultiplied alpha); here a non-grayscale processor always converts to RGB, dropping
 * alpha before the resize.
 */
public final class VaeImageProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(VaeImageProcessor.class);

    /** {@code resize_mode} of {@code preprocess}. */
    public enum ResizeMode {
        /** Stretch to the target size. */
        DEFAULT,
        /** Fit inside, centre, fill the borders by stretching the image's edge rows/columns. */
        FILL,
        /** Cover the target, centre, crop the excess. */
        CROP
    }

    private final boolean doResize;
    private final int vaeScaleFactor;
    private final PilResample.Filter resample;
    private final String resampleName;
    private final boolean doNormalize;
    private final boolean doBinarize;
    private final boolean doConvertRgb;
    private final boolean doConvertGrayscale;

    /** All of diffusers' {@code __init__} arguments. */
    public VaeImageProcessor(boolean doResize, int vaeScaleFactor, String resample, boolean doNormalize,
                             boolean doBinarize, boolean doConvertRgb, boolean doConvertGrayscale) {
        if (vaeScaleFactor <= 0) {
            throw new IllegalArgumentException("vae_scale_factor must be > 0, got " + vaeScaleFactor);
        }
        if (doConvertRgb && doConvertGrayscale) {
            throw new IllegalArgumentException("`do_convert_rgb` and `do_convert_grayscale` can not both be set to "
                    + "`True`");
        }
        this.doResize = doResize;
        this.vaeScaleFactor = vaeScaleFactor;
        this.resample = PilResample.Filter.fromDiffusersName(resample);
        this.resampleName = resample;
        this.doNormalize = doNormalize;
        this.doBinarize = doBinarize;
        this.doConvertRgb = doConvertRgb;
        this.doConvertGrayscale = doConvertGrayscale;
    }

    /** {@code VaeImageProcessor(vae_scale_factor=f)}: resize, lanczos, normalise to [-1, 1]. */
    public static VaeImageProcessor create(int vaeScaleFactor) {
        return new VaeImageProcessor(true, vaeScaleFactor, "lanczos", true, false, false, false);
    }

    /** The inpainting mask processor: grayscale, no normalisation, binarised at 0.5; output {@code [B, 1, H, W]}. */
    public static VaeImageProcessor forMask(int vaeScaleFactor) {
        return new VaeImageProcessor(true, vaeScaleFactor, "lanczos", false, true, false, true);
    }

    public int vaeScaleFactor() {
        return vaeScaleFactor;
    }

    public boolean doNormalize() {
        return doNormalize;
    }

    public boolean doBinarize() {
        return doBinarize;
    }

    public boolean doConvertGrayscale() {
        return doConvertGrayscale;
    }

    public String resample() {
        return resampleName;
    }

    /**
     * {@code get_default_height_width}: the given size, or the image's, rounded down to a multiple of
     * {@code vae_scale_factor}. Returns {@code {height, width}}.
     */
    public int[] getDefaultHeightWidth(int imageHeight, int imageWidth, Integer height, Integer width) {
        int h = height == null ? imageHeight : height;
        int w = width == null ? imageWidth : width;
        h -= h % vaeScaleFactor;
        w -= w % vaeScaleFactor;
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException("size " + w + "x" + h + " (from image " + imageWidth + "x" + imageHeight
                    + ", requested " + width + "x" + height + ") is smaller than vae_scale_factor " + vaeScaleFactor);
        }
        return new int[] {h, w};
    }

    /** {@code preprocess(image)} with the image's own size. */
    public NDArray preprocess(BufferedImage image, NDManager manager) {
        return preprocess(List.of(image), null, null, ResizeMode.DEFAULT, null, manager);
    }

    /**
     * {@code preprocess(images, height, width, resize_mode, crops_coords)} for PIL-like images: a float32 tensor
     * {@code [B, C, H, W]} in {@code manager}, C = 1 for a grayscale processor, else 3. The target size comes from
     * the first image when {@code height}/{@code width} are null.
     *
     * @param cropsCoords {@code {x1, y1, x2, y2}} applied to every image first, or null
     */
    public NDArray preprocess(List<BufferedImage> images, Integer height, Integer width, ResizeMode resizeMode,
                              int[] cropsCoords, NDManager manager) {
        if (images == null || images.isEmpty()) {
            throw new IllegalArgumentException("no images to preprocess");
        }
        if (cropsCoords != null && cropsCoords.length != 4) {
            throw new IllegalArgumentException("crops_coords needs 4 values (x1, y1, x2, y2), got " + cropsCoords.length);
        }
        List<PilImage> pil = new ArrayList<>(images.size());
        for (BufferedImage b : images) {
            PilImage p = PilImage.fromBufferedImage(b);
            if (!doConvertGrayscale) {
                p = p.convert(PilImage.Mode.RGB);
            }
            if (cropsCoords != null) {
                p = p.crop(cropsCoords[0], cropsCoords[1], cropsCoords[2], cropsCoords[3]);
            }
            pil.add(p);
        }
        if (doResize) {
            int[] hw = getDefaultHeightWidth(pil.get(0).height(), pil.get(0).width(), height, width);
            for (int i = 0; i < pil.size(); i++) {
                pil.set(i, resize(pil.get(i), hw[0], hw[1], resizeMode));
            }
        }
        PilImage.Mode mode = doConvertGrayscale ? PilImage.Mode.L : PilImage.Mode.RGB;
        int h = pil.get(0).height();
        int w = pil.get(0).width();
        int c = mode.bands();
        float[] all = new float[Math.multiplyExact(pil.size(), h * w * c)];
        for (int i = 0; i < pil.size(); i++) {
            PilImage p = pil.get(i).convert(mode);
            if (p.height() != h || p.width() != w) {
                throw new IllegalArgumentException("images have different sizes: " + w + "x" + h + " and "
                        + p.width() + "x" + p.height() + " (enable do_resize or pass equal sizes)");
            }
            float[] chw = ImageConversions.hwcToChw(ImageConversions.pilToNumpy(p), h, w, c);
            System.arraycopy(chw, 0, all, i * chw.length, chw.length);
        }
        finish(all, doNormalize);
        return manager.create(all, new Shape(pil.size(), c, h, w));
    }

    /**
     * {@code preprocess} for a tensor {@code [B, C, H, W]} (or {@code [B, H, W]} for a grayscale processor) in
     * [0, 1]: 4-channel inputs are latents and returned as they are; otherwise nearest-neighbour resize like
     * {@code F.interpolate(size=(h, w))}, then normalisation (skipped, with a warning, when the tensor already has
     * negative values, as diffusers does) and binarisation. The result is a new float32 array in the input's
     * manager.
     */
    public NDArray preprocess(NDArray image, Integer height, Integer width) {
        Shape s = image.getShape();
        if (doConvertGrayscale && s.dimension() == 3) {
            s = new Shape(s.get(0), 1, s.get(1), s.get(2));
        }
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("expected a [B, C, H, W] tensor, got shape " + image.getShape());
        }
        if (s.get(1) == 4) {
            return image;
        }
        int b = Math.toIntExact(s.get(0));
        int c = Math.toIntExact(s.get(1));
        int inH = Math.toIntExact(s.get(2));
        int inW = Math.toIntExact(s.get(3));
        float[] v = image.getDataType() == DataType.FLOAT32 ? image.toFloatArray() : floats(image);
        int h = inH;
        int w = inW;
        if (doResize) {
            int[] hw = getDefaultHeightWidth(inH, inW, height, width);
            h = hw[0];
            w = hw[1];
            v = interpolateNearest(v, b * c, inH, inW, h, w);
        }
        boolean normalize = doNormalize;
        if (normalize) {
            float min = Float.POSITIVE_INFINITY;
            for (float x : v) {
                min = Math.min(min, x);
            }
            if (min < 0) {
                LOG.warn("Passing `image` as torch tensor with value range in [-1,1] is deprecated. The expected "
                        + "value range for image tensor is [0,1]; not normalizing (min {})", min);
                normalize = false;
            }
        }
        finish(v, normalize);
        return image.getManager().create(v, new Shape(b, c, h, w));
    }

    /** {@code normalize} ({@code 2x - 1}) and/or {@code binarize} (0 below 0.5, else 1) in place. */
    private void finish(float[] v, boolean normalize) {
        if (normalize) {
            for (int i = 0; i < v.length; i++) {
                v[i] = 2f * v[i] - 1f;
            }
        }
        if (doBinarize) {
            for (int i = 0; i < v.length; i++) {
                if (v[i] < 0.5f) {
                    v[i] = 0f;
                } else if (v[i] >= 0.5f) {
                    v[i] = 1f;
                }
            }
        }
    }

    /** {@code resize(image, height, width, resize_mode)} for a PIL-like image. */
    public PilImage resize(PilImage image, int height, int width, ResizeMode mode) {
        return switch (mode) {
            case DEFAULT -> image.resize(width, height, resample);
            case FILL -> resizeAndFill(image, width, height);
            case CROP -> resizeAndCrop(image, width, height);
        };
    }

    /** {@code _resize_and_fill}: always LANCZOS and an RGB canvas, like diffusers. */
    private static PilImage resizeAndFill(PilImage image, int width, int height) {
        double ratio = (double) width / height;
        double srcRatio = (double) image.width() / image.height();
        int srcW = ratio < srcRatio ? width : image.width() * height / image.height();
        int srcH = ratio >= srcRatio ? height : image.height() * width / image.width();
        PilResample.Filter lanczos = PilResample.Filter.LANCZOS;
        PilImage resized = image.resize(srcW, srcH, lanczos);
        PilImage res = PilImage.blank(PilImage.Mode.RGB, width, height)
                .paste(resized, width / 2 - srcW / 2, height / 2 - srcH / 2);
        if (ratio < srcRatio) {
            int fillHeight = height / 2 - srcH / 2;
            if (fillHeight > 0) {
                res = res.paste(resized.resize(width, fillHeight, lanczos, new float[] {0, 0, width, 0}), 0, 0);
                res = res.paste(resized.resize(width, fillHeight, lanczos,
                        new float[] {0, resized.height(), width, resized.height()}), 0, fillHeight + srcH);
            }
        } else if (ratio > srcRatio) {
            int fillWidth = width / 2 - srcW / 2;
            if (fillWidth > 0) {
                res = res.paste(resized.resize(fillWidth, height, lanczos, new float[] {0, 0, 0, height}), 0, 0);
                res = res.paste(resized.resize(fillWidth, height, lanczos,
                        new float[] {resized.width(), 0, resized.width(), height}), fillWidth + srcW, 0);
            }
        }
        return res;
    }

    /** {@code _resize_and_crop}: always LANCZOS and an RGB canvas, like diffusers. */
    private static PilImage resizeAndCrop(PilImage image, int width, int height) {
        double ratio = (double) width / height;
        double srcRatio = (double) image.width() / image.height();
        int srcW = ratio > srcRatio ? width : image.width() * height / image.height();
        int srcH = ratio <= srcRatio ? height : image.height() * width / image.width();
        PilImage resized = image.resize(srcW, srcH, PilResample.Filter.LANCZOS);
        return PilImage.blank(PilImage.Mode.RGB, width, height)
                .paste(resized, width / 2 - srcW / 2, height / 2 - srcH / 2);
    }

    /** torch's legacy {@code nearest}: source index {@code min(floor(i * (float) in/out), in - 1)}. */
    static float[] interpolateNearest(float[] v, int planes, int inH, int inW, int outH, int outW) {
        if (inH == outH && inW == outW) {
            return v;
        }
        int[] ys = nearestIndex(inH, outH);
        int[] xs = nearestIndex(inW, outW);
        float[] out = new float[planes * outH * outW];
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < outH; y++) {
                int src = (p * inH + ys[y]) * inW;
                int dst = (p * outH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    out[dst + x] = v[src + xs[x]];
                }
            }
        }
        return out;
    }

    private static int[] nearestIndex(int in, int out) {
        int[] idx = new int[out];
        float scale = (float) in / out;
        for (int i = 0; i < out; i++) {
            idx[i] = in == out ? i : out == 2 * in ? i >> 1 : Math.min((int) Math.floor(i * scale), in - 1);
        }
        return idx;
    }

    /** {@code denormalize}: {@code (x / 2 + 0.5).clamp(0, 1)}, in the manager of {@code x}. */
    public static NDArray denormalize(NDArray x) {
        return x.div(2f).addi(0.5f).clip(0f, 1f);
    }

    /** {@code normalize}: {@code 2x - 1}, in the manager of {@code x}. */
    public static NDArray normalize(NDArray x) {
        return x.mul(2f).subi(1f);
    }

    /**
     * {@code postprocess(image, output_type="pt")}: each image denormalised when {@code doDenormalize[i]} (null means
     * this processor's {@code do_normalize} for all). Same dtype as the input; belongs to the input's manager.
     */
    public NDArray postprocessPt(NDArray image, boolean[] doDenormalize) {
        Shape s = image.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("postprocess expects [B, C, H, W], got shape " + s);
        }
        int b = Math.toIntExact(s.get(0));
        if (doDenormalize != null && doDenormalize.length != b) {
            throw new IllegalArgumentException("do_denormalize has " + doDenormalize.length + " entries for a batch of "
                    + b);
        }
        NDManager parent = image.getManager();
        try (NDManager sub = parent.newSubManager()) {
            image.tempAttach(sub);
            NDArray out;
            if (doDenormalize == null) {
                out = doNormalize ? denormalize(image) : image.duplicate();
            } else {
                NDList parts = new NDList(b);
                for (int i = 0; i < b; i++) {
                    NDArray one = image.get(i);
                    parts.add(doDenormalize[i] ? denormalize(one) : one);
                }
                out = NDArrays.stack(parts);
            }
            out.attach(parent);
            return out;
        }
    }

    /**
     * {@code postprocess(image, output_type="np")}: float32 {@code [B, H, W, C]} (denormalised per this processor),
     * in the input's manager.
     */
    public NDArray postprocessNp(NDArray image) {
        return postprocessNp(image, null);
    }

    /** {@code postprocess(image, output_type="np", do_denormalize)}. */
    public NDArray postprocessNp(NDArray image, boolean[] doDenormalize) {
        NDArray pt = postprocessPt(image, doDenormalize);
        NDManager parent = image.getManager();
        try (NDManager sub = parent.newSubManager()) {
            pt.attach(sub);
            NDArray np = pt.transpose(0, 2, 3, 1).toType(DataType.FLOAT32, true);
            np.attach(parent);
            return np;
        }
    }

    /** {@code postprocess(image, output_type="pil")}: one image per batch entry (RGB, or grey for 1 channel). */
    public List<BufferedImage> postprocessPil(NDArray image) {
        return postprocessPil(image, null);
    }

    /** {@code postprocess(image, output_type="pil", do_denormalize)}. */
    public List<BufferedImage> postprocessPil(NDArray image, boolean[] doDenormalize) {
        NDArray np = postprocessNp(image, doDenormalize);
        try {
            return ImageConversions.numpyToPil(np);
        } finally {
            np.close();
        }
    }

    private static float[] floats(NDArray a) {
        try (NDManager tmp = a.getManager().newSubManager()) {
            NDArray f = a.toType(DataType.FLOAT32, true);
            f.attach(tmp);
            return f.toFloatArray();
        }
    }

    @Override
    public String toString() {
        return "VaeImageProcessor{do_resize=" + doResize + ", vae_scale_factor=" + vaeScaleFactor + ", resample="
                + resampleName + ", do_normalize=" + doNormalize + ", do_binarize=" + doBinarize
                + ", do_convert_rgb=" + doConvertRgb + ", do_convert_grayscale=" + doConvertGrayscale + "}";
    }
}

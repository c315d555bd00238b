// The VaeImageProcessor steps the Stable Diffusion pipelines need (preprocess, mask preprocess, nearest resize).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.awt.image.BufferedImage;
import java.util.List;

/** Input images -> tensors, the way diffusers' VaeImageProcessor prepares them. */
final class PipelineImages {
    private PipelineImages() {
    }

    /** height/width given, else the image's own size rounded down to a multiple of the VAE factor. */
    static int[] targetSize(BufferedImage image, Integer height, Integer width, int factor) {
        int h = height != null ? height : image.getHeight() - image.getHeight() % factor;
        int w = width != null ? width : image.getWidth() - image.getWidth() % factor;
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException("image of " + image.getWidth() + "x" + image.getHeight()
                    + " is smaller than the VAE factor " + factor);
        }
        return new int[] {h, w};
    }

    /** RGB, resized to (width, height) when needed, scaled to [0,1], normalised to [-1,1]: [N, 3, H, W]. */
    static NDArray preprocess(NDManager m, List<BufferedImage> images, int height, int width, DataType dtype) {
        float[] data = new float[images.size() * 3 * height * width];
        int plane = height * width;
        for (int n = 0; n < images.size(); n++) {
            BufferedImage img = io.diffusers4j.image.ImageProcessor.resize(images.get(n), width, height);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int rgb = img.getRGB(x, y);
                    int base = n * 3 * plane + y * width + x;
                    data[base] = ((rgb >> 16) & 0xff) / 255f * 2f - 1f;
                    data[base + plane] = ((rgb >> 8) & 0xff) / 255f * 2f - 1f;
                    data[base + 2 * plane] = (rgb & 0xff) / 255f * 2f - 1f;
                }
            }
        }
        NDArray out = m.create(data, new Shape(images.size(), 3, height, width));
        return dtype == DataType.FLOAT32 ? out : out.toType(dtype, false);
    }

    /** Mask: grayscale (PIL "L"), resized, scaled to [0,1], binarized at 0.5: [N, 1, H, W]. */
    static NDArray preprocessMask(NDManager m, List<BufferedImage> masks, int height, int width, DataType dtype) {
        float[] data = new float[masks.size() * height * width];
        for (int n = 0; n < masks.size(); n++) {
            BufferedImage img = io.diffusers4j.image.ImageProcessor.resize(masks.get(n), width, height);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int rgb = img.getRGB(x, y);
                    int r = (rgb >> 16) & 0xff;
                    int g = (rgb >> 8) & 0xff;
                    int b = rgb & 0xff;
                    // PIL's RGB -> L: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
                    int l = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
                    data[n * height * width + y * width + x] = l / 255f < 0.5f ? 0f : 1f;
                }
            }
        }
        NDArray out = m.create(data, new Shape(masks.size(), 1, height, width));
        return dtype == DataType.FLOAT32 ? out : out.toType(dtype, false);
    }

    /** F.interpolate(mask, size=(h, w)) with the default nearest mode: source index floor(dst * in / out). */
    static NDArray resizeNearest(NDArray mask, int h, int w) {
        long inH = mask.getShape().get(2);
        long inW = mask.getShape().get(3);
        if (inH % h == 0 && inW % w == 0) {
            return mask.get(new ai.djl.ndarray.index.NDIndex(":, :, ::{}, ::{}", inH / h, inW / w));
        }
        float[] src = mask.toType(DataType.FLOAT32, false).toFloatArray();
        long n = mask.getShape().get(0) * mask.getShape().get(1);
        float[] dst = new float[(int) (n * h * w)];
        for (int c = 0; c < n; c++) {
            for (int y = 0; y < h; y++) {
                int sy = (int) Math.min(inH - 1, (long) Math.floor(y * (double) inH / h));
                for (int x = 0; x < w; x++) {
                    int sx = (int) Math.min(inW - 1, (long) Math.floor(x * (double) inW / w));
                    dst[(c * h + y) * w + x] = src[(int) ((c * inH + sy) * inW + sx)];
                }
            }
        }
        NDArray out = mask.getManager().create(dst, new Shape(mask.getShape().get(0), mask.getShape().get(1), h, w));
        return out.toType(mask.getDataType(), false);
    }
}

// The VaeImageProcessor steps the Stable Diffusion pipelines need, and the latent-size mask resize.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.image.VaeImageProcessor;

import java.awt.image.BufferedImage;
import java.util.List;

/** Input images -> tensors, the way diffusers' VaeImageProcessor prepares them. */
final class PipelineImages {
    private PipelineImages() {
    }

    /** image_processor.preprocess(image, height, width): RGB, resized (Pillow lanczos), in [-1, 1]. */
    static NDArray preprocess(VaeImageProcessor p, NDManager m, List<BufferedImage> images, Integer height,
                              Integer width, DataType dtype) {
        NDArray out = p.preprocess(images, height, width, VaeImageProcessor.ResizeMode.DEFAULT, null, m);
        return dtype == DataType.FLOAT32 ? out : out.toType(dtype, false);
    }

    /**
     * F.interpolate(mask, size=(h, w)) in the default nearest mode (source index floor(dst * in / out)); the
     * pipelines only shrink by the VAE factor, an integer, which is a strided slice.
     */
    static NDArray resizeNearest(NDArray mask, int h, int w) {
        long inH = mask.getShape().get(2);
        long inW = mask.getShape().get(3);
        if (inH % h != 0 || inW % w != 0) {
            throw new IllegalArgumentException("mask of " + inW + "x" + inH + " cannot shrink to " + w + "x" + h
                    + " by an integer factor");
        }
        return mask.get(new NDIndex(":, :, ::{}, ::{}", inH / h, inW / w));
    }
}

// diffusers.pipelines.pipeline_utils.ImagePipelineOutput (output_type pil / np / latent).
package io.diffusers4j.pipelines;

import io.diffusers4j.image.ImageConversions;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The result of a pipeline call, on the host. For output types {@code np} and {@code pil} the data is float32
 * NHWC in [0, 1] (diffusers' {@code output_type="np"}); for {@code latent} it is the final latents NCHW.
 */
public final class ImagePipelineOutput implements PipelineOutput {
    private final String outputType;
    private final float[] data;
    private final long[] shape;

    public ImagePipelineOutput(String outputType, float[] data, long[] shape) {
        this.outputType = outputType;
        this.data = data;
        this.shape = shape.clone();
    }

    @Override
    public String outputType() {
        return outputType;
    }

    /** Float data: NHWC in [0,1] for images, NCHW latents for {@code latent}. */
    public float[] data() {
        return data;
    }

    public long[] shape() {
        return shape.clone();
    }

    @Override
    public int count() {
        return (int) shape[0];
    }

    /** The images as 8-bit RGB pictures (diffusers' numpy_to_pil: round(x * 255)). */
    public List<BufferedImage> images() {
        if (outputType.equals("latent")) {
            throw new IllegalStateException("output_type 'latent' has no images");
        }
        int n = (int) shape[0];
        int h = (int) shape[1];
        int w = (int) shape[2];
        List<BufferedImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(ImageConversions.floatsToImage(data, i * h * w * 3, h, w, 3));
        }
        return out;
    }

    /** The float NHWC pixels of image {@code i}. */
    public float[] image(int i) {
        int per = (int) (shape[1] * shape[2] * shape[3]);
        return Arrays.copyOfRange(data, i * per, (i + 1) * per);
    }
}

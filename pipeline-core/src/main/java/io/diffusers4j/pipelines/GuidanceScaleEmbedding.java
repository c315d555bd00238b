// Port of diffusers' get_guidance_scale_embedding (LatentConsistencyModelPipeline, copied into the SD pipelines).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * The UNet's {@code timestep_cond} for guidance-distilled (LCM) UNets: {@code w = guidance_scale - 1} as a float32
 * tensor, {@code w * 1000}, then {@code [sin, cos]} of {@code w * exp(-i * ln(10000) / (half - 1))} for
 * {@code i < half = dim / 2}, zero-padded by one column for odd {@code dim} (Variational Diffusion Models' embedding).
 * Computed with the same float32 tensor ops as diffusers; the frequencies' last bit follows the libtorch build's
 * {@code exp} (see {@link #frequencies}), which the sines of arguments up to {@code |w| * 1000} amplify.
 */
public final class GuidanceScaleEmbedding {
    private GuidanceScaleEmbedding() {
    }

    /** {@code get_guidance_scale_embedding(torch.tensor(guidance_scale - 1).repeat(batch), dim)}, float32 [batch, dim]. */
    public static NDArray forGuidanceScale(NDManager m, double guidanceScale, int batch, int embeddingDim) {
        float[] w = new float[batch];
        Arrays.fill(w, (float) (guidanceScale - 1));
        return getGuidanceScaleEmbedding(m, w, embeddingDim);
    }

    /** {@code get_guidance_scale_embedding(w, embedding_dim)}: float32 [len(w), embeddingDim] in {@code m}. */
    public static NDArray getGuidanceScaleEmbedding(NDManager m, float[] w, int embeddingDim) {
        try (NDManager tmp = m.newSubManager()) {
            NDArray emb = embed(tmp, w, frequencies(tmp, embeddingDim), embeddingDim);
            emb.attach(m);
            return emb;
        }
    }

    /**
     * The frequency table {@code exp(arange(half) * -(ln(10000) / (half - 1)))}, float32 [half]. Its last bit depends
     * on the libtorch build's {@code exp} (MKL here, SLEEF in a torch built without MKL: up to 1 ulp apart).
     */
    public static NDArray frequencies(NDManager m, int embeddingDim) {
        if (embeddingDim < 4) {
            // half - 1 would be 0: diffusers divides by it and returns inf/nan columns
            throw new IllegalArgumentException("the guidance scale embedding needs embedding_dim >= 4 "
                    + "(time_cond_proj_dim), got " + embeddingDim);
        }
        int half = embeddingDim / 2;
        try (NDManager tmp = m.newSubManager()) {
            NDArray step = tmp.create(10000f).log().div((float) (half - 1));
            NDArray freqs = tmp.arange(0f, (float) half, 1f, DataType.FLOAT32).mul(step.neg()).exp();
            freqs.attach(m);
            return freqs;
        }
    }

    /** {@code [sin, cos]} of {@code (w * 1000) x freqs}, zero-padded to {@code embeddingDim}; result in {@code m}. */
    static NDArray embed(NDManager m, float[] w, NDArray freqs, int embeddingDim) {
        long half = freqs.getShape().get(0);
        try (NDManager tmp = m.newSubManager()) {
            NDArray scaled = tmp.create(w).mul(1000f);
            NDArray arg = scaled.reshape(w.length, 1).mul(freqs.reshape(1, half));
            NDArray emb = NDArrays.concat(new NDList(arg.sin(), arg.cos()), 1);
            if (embeddingDim % 2 == 1) {
                emb = emb.pad(new Shape(0, 1), 0);
            }
            emb.attach(m);
            return emb;
        }
    }
}

// The prompt embeddings of the dual-/triple-encoder pipelines (SDXL, Stable Diffusion 3): sequence + pooled.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * What {@code encode_prompt} of the SDXL and Stable Diffusion 3 pipelines returns for one half of the batch: the
 * sequence embeddings {@code [B, seq, D]} (SDXL: 77 rows of both CLIP encoders' hidden states side by side; SD3:
 * those zero-padded to the T5 width, then T5's rows) and the pooled embeddings {@code [B, P]} (SDXL: the second
 * encoder's projection; SD3: both projections side by side). Either array may be the caller's own
 * ({@code prompt_embeds}, {@code pooled_prompt_embeds}).
 */
record PromptEmbeddings(NDArray embeds, NDArray pooled) {
    /** {@code repeat(1, n, 1).view(bs * n, ...)} of both arrays: each prompt's copies stay together. */
    PromptEmbeddings repeat(int n) {
        return new PromptEmbeddings(AbstractStableDiffusionPipeline.repeatPerPrompt(embeds, n),
                AbstractStableDiffusionPipeline.repeatPerPrompt(pooled, n));
    }

    /** {@code cat([negative, positive])} of both arrays along the batch: the classifier-free guidance batch. */
    static PromptEmbeddings guidanceBatch(PromptEmbeddings negative, PromptEmbeddings positive) {
        return new PromptEmbeddings(NDArrays.concat(new NDList(negative.embeds, positive.embeds), 0),
                NDArrays.concat(new NDList(negative.pooled, positive.pooled), 0));
    }
}

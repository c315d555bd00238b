// diffusers' _get_t5_prompt_embeds of the Stable Diffusion 3 and FLUX pipelines.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.tokenizers.T5TokenizerFast;

import java.util.List;

/**
 * The T5 half of the prompt embeddings: the prompts tokenized with {@code padding="max_length",
 * max_length=max_sequence_length, truncation=True}, the encoder's last hidden state (no attention mask, as the
 * pipelines call it), each prompt's row repeated {@code num_images_per_prompt} times.
 */
final class T5PromptEmbeds {
    private T5PromptEmbeds() {
    }

    /** {@code [prompts * n, maxSequenceLength, d_model]} in {@code dtype}. */
    static NDArray encode(NDManager m, T5TokenizerFast tokenizer, T5EncoderModel encoder, List<String> prompts,
                          int maxSequenceLength, int numImagesPerPrompt, DataType dtype) {
        long[][] ids = tokenizer.encode(prompts, maxSequenceLength);
        NDArray embeds = encoder.forward(m.create(ids));
        NDArray cast = embeds.getDataType() == dtype ? embeds : embeds.toType(dtype, false);
        return AbstractStableDiffusionPipeline.repeatPerPrompt(cast, numImagesPerPrompt);
    }
}

// diffusers' _get_t5_prompt_embeds of the Stable Diffusion 3 and FLUX pipelines.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.tokenizers.T5TokenizerFast;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The T5 half of the prompt embeddings: the prompts tokenized with {@code padding="max_length",
 * max_length=max_sequence_length, truncation=True}, the encoder's last hidden state (no attention mask, as the
 * pipelines call it), each prompt's row repeated {@code num_images_per_prompt} times.
 */
final class T5PromptEmbeds {
    private static final Logger LOG = LoggerFactory.getLogger(T5PromptEmbeds.class);
    /** Where diffusers 0.30.3 slices the removed text it logs: its CLIP tokenizer's {@code model_max_length - 1}. */
    private static final int REMOVED_TEXT_START = 76;

    private T5PromptEmbeds() {
    }

    /**
     * {@code [prompts * n, maxSequenceLength, d_model]} in {@code dtype}; a prompt longer than
     * {@code maxSequenceLength} tokens is truncated with diffusers' warning.
     */
    static NDArray encode(NDManager m, T5TokenizerFast tokenizer, T5EncoderModel encoder, List<String> prompts,
                          int maxSequenceLength, int numImagesPerPrompt, DataType dtype) {
        tokenizer.removedText(prompts, maxSequenceLength, REMOVED_TEXT_START).ifPresent(removed -> LOG.warn(
                "The following part of your input was truncated because `max_sequence_length` is set to  {} tokens: "
                        + "{}", maxSequenceLength, removed));
        long[][] ids = tokenizer.encode(prompts, maxSequenceLength);
        NDArray embeds = encoder.forward(m.create(ids));
        NDArray cast = embeds.getDataType() == dtype ? embeds : embeds.toType(dtype, false);
        return AbstractStableDiffusionPipeline.repeatPerPrompt(cast, numImagesPerPrompt);
    }
}

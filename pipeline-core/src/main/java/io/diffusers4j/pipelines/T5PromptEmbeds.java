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
 * pipelines call it), each prompt's row repeated {@code num_images_per_prompt} times. Rows of repeated prompts come
 * from the pipeline's {@link TextEmbeddingCache} (T5 encodes each row on its own: without a mask no row sees
 * another); a T5-XXL row is {@code max_sequence_length x 4096} values, 4 MB at 256 tokens in float32.
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
                          int maxSequenceLength, int numImagesPerPrompt, DataType dtype, TextEmbeddingCache cache) {
        tokenizer.removedText(prompts, maxSequenceLength, REMOVED_TEXT_START).ifPresent(removed -> LOG.warn(
                "The following part of your input was truncated because `max_sequence_length` is set to  {} tokens: "
                        + "{}", maxSequenceLength, removed));
        long[][] ids = tokenizer.encode(prompts, maxSequenceLength);
        NDArray embeds = cache.get(m, encoder, null, dtype, ids, rows -> {
            NDArray out = encoder.forward(m.create(rows));
            return out.getDataType() == dtype ? out : out.toType(dtype, false);
        });
        return AbstractStableDiffusionPipeline.repeatPerPrompt(embeds, numImagesPerPrompt);
    }
}

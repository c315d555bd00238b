// The ids and attention mask a tokenizer call returns (transformers BatchEncoding input_ids / attention_mask).
package io.diffusers4j.tokenizers;

/**
 * Result of {@code tokenizer(prompts, padding="max_length", max_length=model_max_length, truncation=True)}: one row
 * per prompt, every row {@code model_max_length} long.
 *
 * @param inputIds token ids, {@code [batch][sequence]}
 * @param attentionMask 1 for real tokens (including bos/eos), 0 for padding, same shape
 */
public record TokenizerOutput(long[][] inputIds, long[][] attentionMask) {

    public TokenizerOutput {
        if (inputIds == null || attentionMask == null || inputIds.length != attentionMask.length) {
            throw new IllegalArgumentException("input ids and attention mask need the same batch size, got "
                    + (inputIds == null ? null : inputIds.length) + " and "
                    + (attentionMask == null ? null : attentionMask.length));
        }
    }

    /** Number of prompts. */
    public int batchSize() {
        return inputIds.length;
    }

    /** Length of every row (0 for an empty batch). */
    public int sequenceLength() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /** The ids in row-major order, for building a {@code [batch, sequence]} tensor. */
    public long[] flatInputIds() {
        return flatten(inputIds);
    }

    /** The attention mask in row-major order. */
    public long[] flatAttentionMask() {
        return flatten(attentionMask);
    }

    private static long[] flatten(long[][] rows) {
        int width = rows.length == 0 ? 0 : rows[0].length;
        long[] flat = new long[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, width);
        }
        return flat;
    }
}

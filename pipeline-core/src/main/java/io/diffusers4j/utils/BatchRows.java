// Images [first, first + count) of a batch of `total` drawn by one torch generator: the draws of a micro-batch.
package io.diffusers4j.utils;

import java.util.Arrays;

/**
 * diffusers' single {@code generator} for a batch draws each noise tensor {@code (total, ...)} in one go, so image
 * i's noise depends on the whole batch. A call over images {@code [first, first + count)} alone reproduces it when
 * its generator ({@link TorchGenerator#forBatchRows}) draws every {@code (count, ...)} tensor as the rows
 * {@code [first, first + count)} of the {@code (total, ...)} draw, and leaves the generator where the whole draw
 * would: the uniforms before and after the rows are skipped (not transformed or stored), so memory is that of the
 * rows; time is that of {@code total} images' uniforms. Draws over a call's inputs (the VAE posterior sample of an
 * input image) are whole draws ({@link RandnTensor#randnInputs}).
 *
 * @param first the first image of the batch these rows hold
 * @param count how many images (the micro-batch's size)
 * @param total the batch the single generator draws for
 */
public record BatchRows(int first, int count, int total) {
    public BatchRows {
        if (count < 1 || first < 0 || total < 1 || (long) first + count > total) {
            throw new IllegalArgumentException("batch rows [" + first + ", " + ((long) first + count) + ") do not "
                    + "lie in a batch of " + total);
        }
    }

    /**
     * {@code generator}'s draw of {@code shape} = {@code (count, ...)}: rows {@code [first, first + count)} of the
     * draw of {@code (total, ...)}, in C order.
     */
    public float[] draw(TorchGenerator generator, long[] shape) {
        if (shape.length == 0 || shape[0] != count) {
            throw new IllegalStateException("a generator for images [" + first + ", " + (first + count) + ") of "
                    + total + " was asked for a draw of shape " + Arrays.toString(shape) + ", not one over its "
                    + count + " images");
        }
        long rowSize = 1;
        for (int i = 1; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            rowSize = Math.multiplyExact(rowSize, shape[i]);
        }
        long whole = Math.multiplyExact(rowSize, total);
        long from = rowSize * first;
        long to = rowSize * (first + count);
        if (to - from > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many elements for one draw: " + (to - from));
        }
        if (whole < 16) {
            return Arrays.copyOfRange(generator.randn((int) whole), (int) from, (int) to);
        }
        return rowsOfUniformDraw(generator, whole, from, to);
    }

    /**
     * torch's draw of {@code whole} >= 16 values, kept for {@code [from, to)}: every value starts as a uniform,
     * full blocks of 16 are Box-Muller transformed in place, and a tail that is not a multiple of 16 redraws the
     * last 16 slots from 16 fresh uniforms ({@link TorchGenerator#randn(float[], int, int)}).
     */
    private static float[] rowsOfUniformDraw(TorchGenerator generator, long whole, long from, long to) {
        long fullBlocksEnd = whole / 16 * 16;
        long blockStart = Math.min(from / 16 * 16, fullBlocksEnd);
        long blockEnd = Math.max(blockStart, Math.min((to + 15) / 16 * 16, fullBlocksEnd));
        float[] blocks = new float[(int) (blockEnd - blockStart)];
        generator.skip(blockStart);
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = generator.nextFloatUniform();
        }
        generator.skip(whole - blockEnd);
        for (int i = 0; i < blocks.length; i += 16) {
            TorchGenerator.boxMuller16(blocks, i);
        }
        float[] out = new float[(int) (to - from)];
        for (long i = Math.max(from, blockStart); i < Math.min(to, blockEnd); i++) {
            out[(int) (i - from)] = blocks[(int) (i - blockStart)];
        }
        if (whole % 16 != 0) {
            float[] tail = new float[16];
            for (int i = 0; i < 16; i++) {
                tail[i] = generator.nextFloatUniform();
            }
            TorchGenerator.boxMuller16(tail, 0);
            for (long i = Math.max(from, whole - 16); i < to; i++) {
                out[(int) (i - from)] = tail[(int) (i - (whole - 16))];
            }
        }
        return out;
    }
}

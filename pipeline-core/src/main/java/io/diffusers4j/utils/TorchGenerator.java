// Port of torch.Generator("cpu") (CPUGeneratorImpl + mt19937) and the float32 torch.randn it drives.
package io.diffusers4j.utils;

import java.util.Arrays;

/**
 * A seeded random generator that draws exactly what {@code torch.randn(shape, generator=g)} draws on the CPU
 * in float32, so that diffusers' seeded images can be reproduced bit-for-bit (up to libm rounding).
 *
 * <p>One object per generator, no global state: this is diffusers' {@code generator} argument. Not thread-safe
 * (neither is torch's); give each image its own generator.
 *
 * <p>How torch draws (aten/src/ATen/native/cpu/DistributionTemplates.h, core/TransformationHelper.h):
 * <ul>
 *   <li>numel &ge; 16 (contiguous float): fill every slot with a 24-bit float uniform, then Box-Muller over
 *       blocks of 16 (pairs j, j+8); a tail that is not a multiple of 16 redraws the last 16 slots.</li>
 *   <li>numel &lt; 16: per element a double Box-Muller with 53-bit uniforms, caching the sine half on the
 *       generator for the next element (the cache survives between calls, like torch's).</li>
 * </ul>
 */
public final class TorchGenerator {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;

    private final int[] state = new int[N];
    private int index;
    private long initialSeed;
    private boolean hasCachedNormal;
    private double cachedNormal;
    private BatchRows batchRows;

    public TorchGenerator(long seed) {
        manualSeed(seed);
    }

    /**
     * A fresh generator seeded {@code seed} that stands for images {@code [first, first + count)} of a batch of
     * {@code total} drawn by ONE generator: each of its draws over the call's images is the slice of what
     * {@code TorchGenerator(seed)} would draw for all {@code total} images ({@link BatchRows}). A call over a part
     * of a batch (a micro-batch) then renders exactly the images the single call over the whole batch renders.
     */
    public static TorchGenerator forBatchRows(long seed, int first, int count, int total) {
        TorchGenerator g = new TorchGenerator(seed);
        g.batchRows = new BatchRows(first, count, total);
        return g;
    }

    /** The part of a batch this generator draws for ({@link #forBatchRows}), or null: every draw is whole. */
    public BatchRows batchRows() {
        return batchRows;
    }

    /** {@code torch.Generator.manual_seed(seed)}: only the low 32 bits seed mt19937; the normal cache resets. */
    public TorchGenerator manualSeed(long seed) {
        initialSeed = seed;
        hasCachedNormal = false;
        state[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            int prev = state[i - 1];
            state[i] = 1812433253 * (prev ^ (prev >>> 30)) + i;
        }
        index = N;
        return this;
    }

    /** The seed this generator was created or last re-seeded with ({@code initial_seed()}). */
    public long initialSeed() {
        return initialSeed;
    }

    /** The next raw 32-bit output of mt19937, as an unsigned value in a long. */
    public long nextUint32() {
        if (index >= N) {
            twist();
        }
        int y = state[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    /** Advances past {@code count} raw outputs, as drawing and discarding them would (without tempering them). */
    void skip(long count) {
        long left = count;
        while (left > 0) {
            if (index >= N) {
                twist();
            }
            int step = (int) Math.min(left, N - index);
            index += step;
            left -= step;
        }
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (state[i] & UPPER_MASK) | (state[(i + 1) % N] & LOWER_MASK);
            int next = state[(i + M) % N] ^ (y >>> 1);
            if ((y & 1) != 0) {
                next ^= MATRIX_A;
            }
            state[i] = next;
        }
        index = 0;
    }

    /** torch's {@code uniform_real_distribution<float>(0, 1)}: 24 random bits. */
    public float nextFloatUniform() {
        return (nextUint32() & 0xFFFFFF) * 0x1.0p-24f;
    }

    /** torch's {@code uniform_real_distribution<double>(0, 1)}: 53 bits of a 64-bit draw (high word first). */
    public double nextDoubleUniform() {
        long hi = nextUint32();
        long lo = nextUint32();
        long bits = (hi << 32) | lo;
        return (bits & ((1L << 53) - 1)) * 0x1.0p-53;
    }

    /** {@code torch.randn(numel)} in float32, C order. */
    public float[] randn(int numel) {
        float[] out = new float[numel];
        randn(out, 0, numel);
        return out;
    }

    /** {@code torch.randn(shape)} in float32, C order. */
    public float[] randn(long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many elements for one draw: " + n);
        }
        return randn((int) n);
    }

    /** Fills {@code out[offset, offset+numel)} as one torch.randn call of numel elements would. */
    public void randn(float[] out, int offset, int numel) {
        if (numel >= 16) {
            for (int i = 0; i < numel; i++) {
                out[offset + i] = nextFloatUniform();
            }
            for (int i = 0; i + 16 <= numel; i += 16) {
                boxMuller16(out, offset + i);
            }
            if (numel % 16 != 0) {
                int tail = offset + numel - 16;
                for (int i = 0; i < 16; i++) {
                    out[tail + i] = nextFloatUniform();
                }
                boxMuller16(out, tail);
            }
        } else {
            for (int i = 0; i < numel; i++) {
                out[offset + i] = (float) nextDoubleNormal();
            }
        }
    }

    static void boxMuller16(float[] d, int base) {
        for (int j = 0; j < 8; j++) {
            float u1 = 1f - d[base + j];
            float u2 = d[base + j + 8];
            float radius = (float) Math.sqrt(-2f * (float) Math.log(u1));
            float theta = (float) (2.0 * Math.PI * u2);
            d[base + j] = radius * (float) Math.cos(theta);
            d[base + j + 8] = radius * (float) Math.sin(theta);
        }
    }

    /** torch's {@code normal_distribution<double>} with the generator-level cache of the second value. */
    public double nextDoubleNormal() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = nextDoubleUniform();
        double u2 = nextDoubleUniform();
        double r = Math.sqrt(-2.0 * Math.log1p(-u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = r * Math.sin(theta);
        hasCachedNormal = true;
        return r * Math.cos(theta);
    }
}

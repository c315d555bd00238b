// Port of transformers.models.t5.modeling_t5.T5Attention._relative_position_bucket (bidirectional, the encoder's).
package io.diffusers4j.models.t5;

/**
 * Maps a relative position {@code memory_position - query_position} to one of {@code num_buckets} buckets, as the
 * encoder's {@code T5Attention} does (Mesh TensorFlow's scheme): half of the buckets for positive and half for
 * negative offsets; within each half, offsets below {@code num_buckets / 4} have a bucket of their own, larger ones
 * share logarithmically wider buckets up to {@code max_distance}, beyond which all fall into the last bucket.
 *
 * <p>The logarithmic part is computed in float32 step by step as transformers' tensor code does it
 * ({@code log(float(|d|) / max_exact) / log(max_distance / max_exact) * (num_buckets - max_exact)}, the middle
 * divisor a double constant rounded to float, truncated toward zero), so that offsets whose value lands on an
 * integer get the same bucket ({@code T5AttentionTest} checks tables recorded from transformers).
 */
final class T5RelativePositionBucket {
    private T5RelativePositionBucket() {
    }

    /** The bucket of {@code relativePosition} (bidirectional). Arguments as validated by {@link T5Config}. */
    static int bucket(int relativePosition, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int bucket = relativePosition > 0 ? half : 0;
        int distance = Math.abs(relativePosition);
        int maxExact = half / 2;
        if (distance < maxExact) {
            return bucket + distance;
        }
        float ratio = (float) distance / (float) maxExact;
        float logRatio = (float) Math.log(ratio);
        float scaled = logRatio / (float) Math.log((double) maxDistance / maxExact) * (float) (half - maxExact);
        long large = maxExact + (long) scaled;
        return bucket + (int) Math.min(large, half - 1);
    }

    /**
     * The buckets of the offsets {@code -(length - 1) .. length - 1}: entry {@code d + length - 1} is the bucket of
     * offset {@code d}.
     */
    static int[] table(int length, int numBuckets, int maxDistance) {
        int[] out = new int[2 * length - 1];
        for (int d = -(length - 1); d < length; d++) {
            out[d + length - 1] = bucket(d, numBuckets, maxDistance);
        }
        return out;
    }
}

// Deterministic seeds for rows that carry none, and ids for rows that carry none.
package io.diffusers4j.job.rows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Seed and id derivation. Both are pure functions of their inputs (SHA-256), so a re-run, a Spark task retry or
 * a {@code --resume} produces the same values on any machine.
 *
 * <p>Seed contract: a row with seed {@code s} and {@code n} images renders image {@code i} with its own
 * {@code TorchGenerator(s + i)} and records {@code s + i}; a row without a seed gets
 * {@code s = derive(jobSeed, id)}, non-negative and below {@code 2^53 - MAX_IMAGES}, so every recorded seed is an
 * exact JSON/JavaScript integer below 2^53.
 */
public final class SeedDeriver {
    /** Largest num_images_per_prompt the seed range leaves room for. */
    public static final int MAX_IMAGES = 1024;
    /** Derived seeds lie in [0, SEED_BOUND). */
    public static final long SEED_BOUND = (1L << 53) - MAX_IMAGES;

    private SeedDeriver() {
    }

    /** The seed of a row without one: SHA-256 of "jobSeed NUL id", first 8 bytes, reduced to [0, SEED_BOUND). */
    public static long deriveSeed(long jobSeed, String id) {
        byte[] h = sha256(jobSeed + "\u0000" + id);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (h[i] & 0xff);
        }
        return Long.remainderUnsigned(v, SEED_BOUND);
    }

    /**
     * The id of a row without one: "row-" + 16 hex digits of SHA-256 over the file's base name, the 1-based line
     * (row) number and the raw text. Identical prompts on different lines get different ids; the same line of the
     * same file gets the same id in every run.
     */
    public static String deriveId(String source, long position, String raw) {
        byte[] h = sha256(source + "\u0000" + position + "\u0000" + raw);
        StringBuilder sb = new StringBuilder("row-");
        for (int i = 0; i < 8; i++) {
            sb.append(Character.forDigit((h[i] >> 4) & 0xf, 16)).append(Character.forDigit(h[i] & 0xf, 16));
        }
        return sb.toString();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}

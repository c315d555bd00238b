// Stable prompt ids of a plan: from the template id, the chosen values and the sweep values, never positions.
package io.diffusers4j.job.plan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * {@code <template id>-<16 hex digits>}: SHA-256 over the template id, the identity of the chosen values (each
 * choice point's key and the chosen value as written, nested choices included, length-prefixed) and the sweep
 * point ({@code guidance_scale=7.5;...}); a sample's later rounds (more draws than combinations) add the round.
 * Adding values to a slot, reordering a list or adding templates leaves every existing id unchanged.
 */
final class PlanIds {
    private PlanIds() {
    }

    static String id(String templateId, String valuesPath, String sweepPath, int round) {
        String key = templateId + "\u0000" + valuesPath + "\u0000" + sweepPath + (round > 0 ? "\u0000round=" + round
                : "");
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        StringBuilder sb = new StringBuilder(templateId).append('-');
        for (int i = 0; i < 8; i++) {
            sb.append(Character.forDigit((h[i] >> 4) & 0xf, 16)).append(Character.forDigit(h[i] & 0xf, 16));
        }
        return sb.toString();
    }
}

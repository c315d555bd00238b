// Keeps the Hub token out of everything the job writes or logs.
package io.diffusers4j.job.render;

/**
 * Replaces the value of {@code HF_TOKEN} (and {@code HUGGING_FACE_HUB_TOKEN}) with "***" in text the job writes
 * to error columns or logs. The token never enters the job's own data (specs and configs refuse it); this
 * covers a library message that might quote it.
 */
public final class Redaction {
    private static final int MIN_SECRET = 8;

    private Redaction() {
    }

    public static String scrub(String text) {
        return scrub(text, System.getenv("HF_TOKEN"), System.getenv("HUGGING_FACE_HUB_TOKEN"));
    }

    /** Scrubs the given secrets (short values are ignored: they would blank ordinary words). */
    static String scrub(String text, String... secrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String s : secrets) {
            if (s != null && s.length() >= MIN_SECRET) {
                out = out.replace(s, "***");
            }
        }
        return out;
    }
}

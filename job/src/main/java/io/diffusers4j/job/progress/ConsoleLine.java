// One line of text on a terminal that is redrawn in place (carriage return, no newline) until it is finished.
package io.diffusers4j.job.progress;

import java.io.PrintStream;

/**
 * Draws {@code "\r" + text}, padded with spaces over whatever a longer previous text left, like Spark's own
 * console progress bar (no ANSI escapes: any terminal honours a carriage return). {@link #finish()} ends the line
 * so that later output starts on a fresh one. Thread-safe.
 */
public final class ConsoleLine {
    private final PrintStream out;
    private int shown = -1;

    public ConsoleLine(PrintStream out) {
        this.out = out;
    }

    /** Replaces the line's text. */
    public synchronized void draw(String text) {
        StringBuilder b = new StringBuilder(Math.max(text.length(), shown) + 1).append('\r').append(text);
        for (int i = text.length(); i < shown; i++) {
            b.append(' ');
        }
        out.print(b);
        out.flush();
        shown = text.length();
    }

    /** Ends the line (a newline) if anything was drawn; later draws start a new line. */
    public synchronized void finish() {
        if (shown >= 0) {
            out.println();
            out.flush();
            shown = -1;
        }
    }
}

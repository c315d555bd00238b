// A tqdm-like denoising progress bar on stderr (diffusers' progress_bar).
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.ProgressListener;

import java.io.PrintStream;

/** Prints {@code 40%|########            | 4/10 [00:02<00:03, 1.95it/s]} lines, redrawn in place. */
public final class ConsoleProgressBar implements ProgressListener {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private long startNanos;

    public ConsoleProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public void start(int total) {
        startNanos = System.nanoTime();
        out.print("\r" + render(0, total, 0));
        out.flush();
    }

    @Override
    public void step(int done, int total) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        out.print("\r" + render(done, total, elapsed));
        out.flush();
    }

    @Override
    public void end() {
        out.println();
        out.flush();
    }

    static String render(int done, int total, double elapsedSeconds) {
        int pct = total == 0 ? 100 : (int) Math.rint(100.0 * done / total); // tqdm's {percentage:3.0f}
        int filled = total == 0 ? WIDTH : WIDTH * done / total;
        double rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
        double eta = rate > 0 ? (total - done) / rate : 0;
        return String.format("%3d%%|%s%s| %d/%d [%s<%s, %.2fit/s]", pct, "#".repeat(filled),
                " ".repeat(WIDTH - filled), done, total, clock(elapsedSeconds), clock(eta), rate);
    }

    /** tqdm's format_interval: whole seconds, truncated. */
    private static String clock(double seconds) {
        long s = (long) seconds;
        return String.format("%02d:%02d", s / 60, s % 60);
    }
}

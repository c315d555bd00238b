// The progress bar hook of diffusers' DiffusionPipeline.progress_bar / set_progress_bar_config.
package io.diffusers4j.pipelines;

/** Receives denoising progress; the CLI prints a bar, library users may log or ignore it. */
public interface ProgressListener {
    /** A run of {@code total} steps starts. */
    void start(int total);

    /** Step {@code done} of {@code total} finished. */
    void step(int done, int total);

    /** The run ended (normally or not). */
    default void end() {
    }

    /** A listener that ignores everything ({@code set_progress_bar_config(disable=True)}). */
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void start(int total) {
        }

        @Override
        public void step(int done, int total) {
        }
    };
}

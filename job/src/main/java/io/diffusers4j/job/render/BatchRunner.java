// Runs micro-batches with fault isolation: a bad image costs that image, an out-of-memory halves the batch.
package io.diffusers4j.job.render;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders a micro-batch and never lets one image's failure take the others down:
 * <ul>
 *   <li>the batch fails with an out-of-memory: split in halves, recursively, down to single images, and lower
 *       this partition's batch cap to the size that failed / 2 (later batches start smaller);</li>
 *   <li>it fails otherwise: render each image alone; an image that still fails becomes an error outcome;</li>
 *   <li>the task is killed or interrupted, or the deployment is broken: rethrow (the task fails, Spark retries it,
 *       the commit protocol discards its partial output).</li>
 * </ul>
 * Not thread-safe: one runner per partition.
 */
public final class BatchRunner {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    /**
     * The result of one request: an image (or, for audio pipelines, a clip) or an error, the item's share of its
     * call's time, that call's size.
     */
    public record Outcome(BufferedImage image, AudioClip audio, String error, long durationMs, int batchSize) {
        Outcome(Rendered item, long durationMs, int batchSize) {
            this(item.image(), item.audio(), null, durationMs, batchSize);
        }

        static Outcome failed(String error, long durationMs, int batchSize) {
            return new Outcome(null, null, error, durationMs, batchSize);
        }

        public boolean ok() {
            return error == null;
        }
    }

    private final Renderer renderer;
    private int cap;
    private int calls;

    public BatchRunner(Renderer renderer, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.renderer = renderer;
        this.cap = batchSize;
    }

    /** The largest batch to form next (lowered after an out-of-memory). */
    public int cap() {
        return cap;
    }

    /** Pipeline calls made so far (including failed ones). */
    public int calls() {
        return calls;
    }

    /** One outcome per request, in order. */
    public List<Outcome> run(RenderSettings settings, List<ImageRequest> images) {
        long t0 = System.nanoTime();
        try {
            calls++;
            List<Rendered> out = renderer.renderItems(settings, images);
            if (out == null || out.size() != images.size()) {
                throw new IllegalStateException("renderer returned " + (out == null ? "null" : out.size() + " images")
                        + " for " + images.size() + " requests");
            }
            long share = (System.nanoTime() - t0) / 1_000_000 / images.size();
            List<Outcome> outcomes = new ArrayList<>(images.size());
            for (Rendered item : out) {
                outcomes.add(new Outcome(item, share, images.size()));
            }
            return outcomes;
        } catch (Throwable t) {
            Failures.rethrowIfFatal(t);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (images.size() == 1) {
                String why = Failures.describe(t);
                LOG.warn("image failed (seed {}): {}", images.get(0).seed(), why);
                return List.of(Outcome.failed(why, ms, 1));
            }
            List<Outcome> outcomes = new ArrayList<>(images.size());
            if (Failures.isOutOfMemory(t)) {
                int half = images.size() / 2;
                cap = Math.max(1, Math.min(cap, half));
                LOG.warn("out of memory on a batch of {}; splitting, batch cap now {}: {}", images.size(), cap,
                        Failures.describe(t));
                outcomes.addAll(run(settings, images.subList(0, half)));
                outcomes.addAll(run(settings, images.subList(half, images.size())));
            } else {
                LOG.warn("batch of {} failed; retrying image by image: {}", images.size(), Failures.describe(t));
                for (ImageRequest r : images) {
                    outcomes.addAll(run(settings, List.of(r)));
                }
            }
            return outcomes;
        }
    }
}

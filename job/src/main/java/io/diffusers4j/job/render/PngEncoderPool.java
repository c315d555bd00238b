// Encodes PNGs on a small JVM-wide pool so the next micro-batch renders while the last one is encoded.
package io.diffusers4j.job.render;

import java.awt.image.BufferedImage;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * PNG encoding off the rendering thread. On a GPU executor encoding a 512x512 PNG costs tens of milliseconds of
 * CPU per image while the GPU would sit idle; encoding batch k here while the task renders batch k+1 hides it.
 * Daemon threads, at most half the JVM's cores (at least one), shared by every task of the JVM.
 */
public final class PngEncoderPool {
    private static final ExecutorService POOL = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), new ThreadFactory() {
                private final AtomicInteger n = new AtomicInteger();

                @Override
                public Thread newThread(Runnable r) {
                    Thread t = new Thread(r, "d4j-png-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }
            });

    private PngEncoderPool() {
    }

    /**
     * Encodes {@code image} with PNG text chunks {@code text} in the background, then applies {@code then} to the
     * bytes, or {@code failed} to the encoding failure (an image no PNG writer takes, a value the text chunks
     * refuse): one image's failure is that image's, never the task's.
     */
    public static <T> CompletableFuture<T> encode(BufferedImage image, Map<String, String> text,
                                                  Function<byte[], T> then, Function<Throwable, T> failed) {
        return CompletableFuture.supplyAsync(() -> PngEncoding.encode(image, text), POOL)
                .handle((png, failure) -> failure == null ? then.apply(png) : failed.apply(unwrap(failure)));
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}

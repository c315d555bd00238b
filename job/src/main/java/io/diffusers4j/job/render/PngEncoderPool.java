// Encodes PNGs on a small JVM-wide pool so the next micro-batch renders while the last one is encoded.
package io.diffusers4j.job.render;

import java.awt.image.BufferedImage;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * PNG encoding off the rendering thread. On a GPU executor encoding a 512x512 PNG costs tens of milliseconds of
 * CPU per image while the GPU would sit idle; encoding batch k here while the task renders batch k+1 hides it.
 * Daemon threads, at most half the JVM's cores (at least one), shared by every task of the JVM.
 */
public final class PngEncoderPool {
    private static final ExecutorService POOL = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), new java.util.concurrent.ThreadFactory() {
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
     * Encodes {@code image} (null: no image) with PNG text chunks {@code text} in the background, then applies
     * {@code then} to the bytes.
     */
    public static <T> CompletableFuture<T> encode(BufferedImage image, Map<String, String> text,
                                                  Function<byte[], T> then) {
        return CompletableFuture.supplyAsync(() -> then.apply(image == null ? null : PngEncoding.encode(image, text)),
                POOL);
    }
}

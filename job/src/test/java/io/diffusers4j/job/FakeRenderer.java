// A test Renderer: deterministic pictures that encode their inputs, with faults triggered by prompt markers.
package io.diffusers4j.job;

import io.diffusers4j.job.render.ImageRequest;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.render.RenderSettings;
import io.diffusers4j.job.render.Renderer;
import io.diffusers4j.job.render.RendererFactory;
import io.diffusers4j.job.render.StubRenderer;
import io.diffusers4j.testing.TestImages;
import org.apache.spark.TaskContext;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Renders a width x height picture per request whose first pixels encode what it was asked for (seed low 24
 * bits, a prompt hash, steps, the negative prompt hash), so a test can check that every output image belongs to
 * its own row whatever batch it ran in. Faults, by prompt marker:
 * <ul>
 *   <li>{@code [poison]}: any batch containing it throws (alone too): only that image must fail;</li>
 *   <li>{@code [oom]}: a batch of more than one image containing it throws an out-of-memory message: the batch
 *       must split down to single images, which then succeed;</li>
 *   <li>{@code [heap-oom]}: the same with a real {@link OutOfMemoryError} from a failed Java heap allocation;</li>
 *   <li>{@code [oom-always]}: out of memory at any batch size, alone too: only that image must fail;</li>
 *   <li>{@code [leak]}: throws a message quoting the {@code HF_TOKEN} of this JVM's environment (as a library
 *       error quoting a URL with credentials might): the job must scrub it;</li>
 *   <li>{@code [unencodable]}: the picture has float samples, which no PNG writer takes: encoding that image
 *       fails (only it must become an error row);</li>
 *   <li>{@code [resolve-bug]}: resolving the row's settings throws a NullPointerException, as a bug in a
 *       pipeline's checks would (only that row must become an error row).</li>
 * </ul>
 * System properties: {@code d4j.fake.sleepMs}, milliseconds per image (the cluster test makes tasks take time);
 * {@code d4j.fake.slowPartitionMs}, extra milliseconds per batch in tasks of partition 1 (so partition 0 of a
 * wave commits well before the wave does).
 */
public final class FakeRenderer extends StubRenderer {
    public static final String FACTORY = Factory.class.getName();
    static final AtomicInteger BUILDS = new AtomicInteger();
    static final AtomicInteger IMAGES = new AtomicInteger();
    static final List<Integer> BATCH_SIZES = Collections.synchronizedList(new ArrayList<>());
    static final List<RenderSettings> BATCH_SETTINGS = Collections.synchronizedList(new ArrayList<>());

    /** Builds fake renderers (named by class in the spec). */
    public static final class Factory implements RendererFactory {
        @Override
        public Renderer create(PipelineSpec spec, String device) {
            BUILDS.incrementAndGet();
            return new FakeRenderer();
        }
    }

    FakeRenderer() {
        super(8, 32, 24, "FakeScheduler");
    }

    static void reset() {
        IMAGES.set(0);
        BATCH_SIZES.clear();
        BATCH_SETTINGS.clear();
    }

    @Override
    public RenderSettings resolve(RenderSettings requested, ImageRequest image) {
        if (image.prompt().contains("[resolve-bug]")) {
            throw new NullPointerException("Cannot invoke \"Object.toString()\" because \"config\" is null (fake)");
        }
        return super.resolve(requested, image);
    }

    @Override
    public List<BufferedImage> render(RenderSettings s, List<ImageRequest> images) {
        BATCH_SIZES.add(images.size());
        BATCH_SETTINGS.add(s);
        for (ImageRequest r : images) {
            if (r.prompt().contains("[poison]")) {
                throw new IllegalStateException("poisoned prompt: " + r.prompt());
            }
            if (r.prompt().contains("[oom]") && images.size() > 1) {
                throw new RuntimeException("CUDA out of memory. Tried to allocate 2.00 GiB (fake)");
            }
            if (r.prompt().contains("[oom-always]")) {
                throw new RuntimeException("CUDA out of memory. Tried to allocate 64.00 GiB (fake, any batch size)");
            }
            if (r.prompt().contains("[heap-oom]") && images.size() > 1) {
                // a real allocation failure: about 16 GiB, far beyond any test heap (nothing is allocated)
                long[] huge = new long[Integer.MAX_VALUE - 16];
                huge[0] = images.size();
            }
            if (r.prompt().contains("[leak]")) {
                throw new IllegalStateException("GET https://user:" + System.getenv("HF_TOKEN")
                        + "@hub.example/x failed (Authorization: Bearer " + System.getenv("HF_TOKEN") + ")");
            }
        }
        long slow = Long.getLong("d4j.fake.slowPartitionMs", 0);
        TaskContext tc = TaskContext.get();
        if (slow > 0 && tc != null && tc.partitionId() == 1) {
            sleep(slow);
        }
        long sleep = Long.getLong("d4j.fake.sleepMs", 0);
        if (sleep > 0) {
            sleep(sleep * images.size());
        }
        List<BufferedImage> out = new ArrayList<>(images.size());
        for (ImageRequest r : images) {
            out.add(r.prompt().contains("[unencodable]") ? floatPicture(s.width(), s.height()) : picture(s, r));
        }
        IMAGES.addAndGet(images.size());
        return out;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The picture of a request: pixel 0 = seed & 0xFFFFFF, 1 = hash(prompt), 2 = steps, 3 = hash(negative). */
    static BufferedImage picture(RenderSettings s, ImageRequest r) {
        int fill = hash(r.prompt() + "|" + r.seed() + "|" + s) & 0xFFFFFF;
        BufferedImage img = TestImages.solid(s.width(), s.height(), fill);
        img.setRGB(0, 0, (int) (r.seed() & 0xFFFFFF));
        img.setRGB(1, 0, hash(r.prompt()) & 0xFFFFFF);
        img.setRGB(2, 0, s.numInferenceSteps());
        img.setRGB(3, 0, hash(String.valueOf(r.negativePrompt())) & 0xFFFFFF);
        return img;
    }

    /** A picture with float samples: a valid image that javax.imageio's PNG writer refuses. */
    static BufferedImage floatPicture(int width, int height) {
        ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_FLOAT);
        return new BufferedImage(model, model.createCompatibleWritableRaster(width, height), false, null);
    }

    static int hash(String s) {
        int h = 0;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = h * 31 + (b & 0xff);
        }
        return h;
    }
}

// Where notebook pictures go: a redirect (tools that execute notebooks), else the running Jupyter Java kernel.
package io.diffusers4j.notebook;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Displays MIME bundles (MIME type to data, as in Jupyter's {@code display_data}): to the consumer installed with
 * {@link #redirect} (a tool that executes notebooks and stores their outputs), else to the Jupyter Java kernel
 * running this code ({@link JupyterKernel}).
 */
public final class Display {
    private static volatile Consumer<Map<String, String>> redirect;

    private Display() {
    }

    /** Sends every bundle displayed from now on to {@code sink} instead of a kernel; null ends the redirect. */
    public static void redirect(Consumer<Map<String, String>> sink) {
        redirect = sink;
    }

    /** Displays {@code bundle}; false when there is neither a redirect nor a running Java kernel. */
    public static boolean show(Map<String, String> bundle) {
        Consumer<Map<String, String>> sink = redirect;
        if (sink != null) {
            sink.accept(bundle);
            return true;
        }
        return JupyterKernel.display(bundle);
    }

    /**
     * The bundle of an image: {@code image/png} (base64 of the PNG that {@link ImageIO} writes, as Java kernels
     * render images) and a {@code text/plain} fallback {@code [image WxH] name} for text-only viewers.
     */
    public static Map<String, String> imageBundle(BufferedImage image, String name) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", png)) {
                throw new IllegalStateException("no PNG writer for image type " + image.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> bundle = new LinkedHashMap<>();
        bundle.put("image/png", Base64.getEncoder().encodeToString(png.toByteArray()));
        bundle.put("text/plain", String.format(Locale.ROOT, "[image %dx%d] %s", image.getWidth(), image.getHeight(),
                name));
        return bundle;
    }
}

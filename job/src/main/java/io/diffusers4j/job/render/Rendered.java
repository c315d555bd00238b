// One rendered item of a micro-batch: a picture, or an audio clip (audio pipelines).
package io.diffusers4j.job.render;

import java.awt.image.BufferedImage;

/** What one request of a {@link Renderer#renderItems} call produced: exactly one of the two is set. */
public record Rendered(BufferedImage image, AudioClip audio) {
    public Rendered {
        if ((image == null) == (audio == null)) {
            throw new IllegalArgumentException("a rendered item is an image or an audio clip");
        }
    }

    public static Rendered of(BufferedImage image) {
        return new Rendered(image, null);
    }

    public static Rendered of(AudioClip audio) {
        return new Rendered(null, audio);
    }
}

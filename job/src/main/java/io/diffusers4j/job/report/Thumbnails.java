// Small embeddable pictures for the report's contact sheet (data: URIs), made from the output's PNG bytes.
package io.diffusers4j.job.report;

import io.diffusers4j.image.Png;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * An image that fits in {@code max x max} is embedded as its own PNG bytes (lossless, with its text chunks);
 * a larger one is scaled down (bilinear, in halving steps so it is not aliased) and embedded as a JPEG (quality
 * 0.85), which keeps a page of dozens of 512-pixel renders a few megabytes.
 */
final class Thumbnails {
    private Thumbnails() {
    }

    static String dataUri(byte[] png, int max) {
        BufferedImage img = Png.read(png).image();
        if (img.getWidth() <= max && img.getHeight() <= max) {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        }
        return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg(scale(img, max), 0.85f));
    }

    /** {@code img} scaled to fit {@code max x max}, aspect kept. */
    static BufferedImage scale(BufferedImage img, int max) {
        double f = Math.min((double) max / img.getWidth(), (double) max / img.getHeight());
        int tw = Math.max(1, (int) Math.round(img.getWidth() * f));
        int th = Math.max(1, (int) Math.round(img.getHeight() * f));
        BufferedImage cur = toRgb(img);
        int w = cur.getWidth();
        int h = cur.getHeight();
        while (w != tw || h != th) {
            w = Math.max(tw, w / 2);
            h = Math.max(th, h / 2);
            BufferedImage next = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = next.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(cur, 0, 0, w, h, null);
            g.dispose();
            cur = next;
        }
        return cur;
    }

    private static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return rgb;
    }

    static byte[] jpeg(BufferedImage img, float quality) {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            w.write(null, new IIOImage(toRgb(img), null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException("JPEG encoding failed", e);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }
}

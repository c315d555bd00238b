// Notebook display helpers: images inline in notebooks (Java kernels), PNG files elsewhere; grids and bar charts.
package io.diffusers4j.notebook;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the notebooks in {@code notebooks/} use to show pictures.
 *
 * <p>{@link #image} shows an image inline: as a {@code display_data} output ({@link Display}: PNG plus a text
 * fallback) in a Jupyter Java kernel (JJava, IJava) or in the tool that executes the notebooks and stores their
 * outputs. Anywhere else (plain JShell, a terminal) it writes a PNG file and prints its path: into the folder named
 * by the system property {@code diffusers4j.notebook.out}, else the environment variable
 * {@code DIFFUSERS4J_NOTEBOOK_OUT}, else {@code <tmpdir>/diffusers4j-notebook}.
 *
 * <p>{@link #grid} lays images out with captions; {@link #barChart} draws a horizontal bar chart. Both return a
 * {@link BufferedImage} to pass to {@link #image}. Text is drawn with Java2D's logical "SansSerif" font; on a
 * machine without any font the pictures are drawn without text rather than failing.
 */
public final class Show {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private Show() {
    }

    /** Shows {@code image}: inline in a notebook, else as a numbered PNG file whose path is printed. */
    public static void image(BufferedImage image) {
        image(image, "image");
    }

    /**
     * Like {@link #image(BufferedImage)}; {@code name} goes into the text fallback inline and into the file name
     * outside a notebook.
     */
    public static void image(BufferedImage image, String name) {
        if (image == null) {
            throw new IllegalArgumentException("Show.image: image is null");
        }
        if (Display.show(Display.imageBundle(image, name))) {
            return;
        }
        Path file = outputDir().resolve(String.format(Locale.ROOT, "%03d-%s.png", COUNTER.incrementAndGet(),
                name.replaceAll("[^A-Za-z0-9._-]", "_")));
        try {
            Files.createDirectories(file.getParent());
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IllegalStateException("no PNG writer for image type " + image.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Show.image: cannot write " + file, e);
        }
        System.out.println("[image " + image.getWidth() + "x" + image.getHeight() + "] " + file.toAbsolutePath());
    }

    /** Where images go outside a kernel. */
    public static Path outputDir() {
        String dir = System.getProperty("diffusers4j.notebook.out");
        if (dir == null || dir.isBlank()) {
            dir = System.getenv("DIFFUSERS4J_NOTEBOOK_OUT");
        }
        if (dir == null || dir.isBlank()) {
            return Path.of(System.getProperty("java.io.tmpdir"), "diffusers4j-notebook");
        }
        return Path.of(dir);
    }

    /**
     * {@code images} in rows of {@code columns}, each scaled to fit {@code cell x cell} pixels with its caption
     * (up to two lines) below.
     */
    public static BufferedImage grid(List<BufferedImage> images, List<String> captions, int columns, int cell) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("Show.grid: no images");
        }
        if (captions != null && captions.size() != images.size()) {
            throw new IllegalArgumentException("Show.grid: " + images.size() + " images but " + captions.size()
                    + " captions");
        }
        if (columns < 1 || cell < 8) {
            throw new IllegalArgumentException("Show.grid: columns must be >= 1 and cell >= 8, got " + columns
                    + " and " + cell);
        }
        int cols = Math.min(columns, images.size());
        int rows = (images.size() + cols - 1) / cols;
        int pad = 8;
        int captionH = captions == null ? 0 : 30;
        int w = cols * (cell + pad) + pad;
        int h = rows * (cell + captionH + pad) + pad;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            for (int i = 0; i < images.size(); i++) {
                BufferedImage img = images.get(i);
                int x0 = pad + (i % cols) * (cell + pad);
                int y0 = pad + (i / cols) * (cell + captionH + pad);
                double f = Math.min((double) cell / img.getWidth(), (double) cell / img.getHeight());
                int iw = Math.max(1, (int) Math.round(img.getWidth() * f));
                int ih = Math.max(1, (int) Math.round(img.getHeight() * f));
                if (f >= 2) { // small renders: whole-pixel magnification keeps them crisp
                    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
                            RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
                }
                g.drawImage(img, x0 + (cell - iw) / 2, y0 + (cell - ih) / 2, iw, ih, null);
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                if (captions != null) {
                    text(g, captions.get(i), x0, y0 + cell + 12, cell, 11, Color.DARK_GRAY, 2);
                }
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** {@link #grid(List, List, int, int)} with 4 columns of 192 pixels. */
    public static BufferedImage grid(List<BufferedImage> images, List<String> captions) {
        return grid(images, captions, 4, 192);
    }

    /** A horizontal bar chart: one labelled bar per entry (in map order), value printed with {@code unit}. */
    public static BufferedImage barChart(String title, Map<String, ? extends Number> values, String unit) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("Show.barChart: no values");
        }
        double max = 0;
        for (Number v : values.values()) {
            if (v == null || !Double.isFinite(v.doubleValue()) || v.doubleValue() < 0) {
                throw new IllegalArgumentException("Show.barChart: values must be finite and >= 0, got " + values);
            }
            max = Math.max(max, v.doubleValue());
        }
        int labelW = 160;
        int barW = 420;
        int rowH = 26;
        int top = 40;
        int w = labelW + barW + 120;
        int h = top + rowH * values.size() + 16;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            text(g, title, 12, 22, w - 24, 15, Color.BLACK, 1);
            g.setColor(new Color(0xDDDDDD));
            g.setStroke(new BasicStroke(1));
            g.drawLine(labelW, top - 6, labelW, h - 10);
            int i = 0;
            for (Map.Entry<String, ? extends Number> e : values.entrySet()) {
                int y = top + i * rowH;
                double v = e.getValue().doubleValue();
                int len = max == 0 ? 0 : (int) Math.round(barW * v / max);
                g.setColor(new Color(0x4A7BD0));
                g.fillRect(labelW + 1, y, Math.max(len, 1), rowH - 8);
                text(g, e.getKey(), 12, y + rowH - 12, labelW - 20, 12, Color.DARK_GRAY, 1);
                text(g, format(v) + (unit == null || unit.isEmpty() ? "" : " " + unit), labelW + len + 8,
                        y + rowH - 12, 110, 12, Color.DARK_GRAY, 1);
                i++;
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e12 ? Long.toString((long) v)
                : String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.2f", v);
    }

    /** Draws {@code s} clipped to {@code width}, wrapped onto at most {@code lines} lines; no fonts: no text. */
    private static void text(Graphics2D g, String s, int x, int baseline, int width, int size, Color c, int lines) {
        if (s == null || s.isEmpty()) {
            return;
        }
        try {
            g.setColor(c);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, size));
            FontMetrics fm = g.getFontMetrics();
            List<String> out = new ArrayList<>();
            String rest = s;
            while (!rest.isEmpty() && out.size() < lines) {
                int n = rest.length();
                while (n > 1 && fm.stringWidth(rest.substring(0, n)) > width) {
                    n--;
                }
                int space = rest.lastIndexOf(' ', n);
                if (n < rest.length() && space > n / 2) { // break at a word boundary when one is near
                    n = space + 1;
                }
                String line = rest.substring(0, n).stripTrailing();
                rest = rest.substring(n);
                if (!rest.isEmpty() && out.size() == lines - 1 && line.length() > 1) {
                    line = line.substring(0, line.length() - 1) + "\u2026";
                }
                out.add(line);
            }
            for (int i = 0; i < out.size(); i++) {
                g.drawString(out.get(i), x, baseline + i * (size + 2));
            }
        } catch (RuntimeException | LinkageError | InternalError e) {
            // headless machine without fonts: leave the picture without text
        }
    }
}

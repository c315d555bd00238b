// The run report as one self-contained HTML page: figures, settings, a contact sheet and the error rows.
package io.diffusers4j.job.report;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.job.JobSummary;
import io.diffusers4j.job.progress.JobMetrics;
import io.diffusers4j.job.rows.CustomSchedule;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Renders {@link ReportData} as one HTML page with no external resource (styles inline, pictures as
 * {@code data:} URIs), so it can be mailed, archived or opened from object storage as is. Sections:
 * figures (counts, images/s, the run's wall times, per-executor counts with bars, pipeline build times),
 * settings (the job-level defaults among them), the contact sheet (every thumbnail shown at the same size, its
 * caption listing every generation parameter of the image: nothing is behind a hover, which print, screenshots
 * and touch screens do not have), and the error rows with their messages. Every text from the data is
 * HTML-escaped.
 */
public final class RunReportHtml {
    private static final String STYLE = String.join("\n",
            "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:24px;"
                    + "color:#1d1d1f;background:#fafafa}",
            "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #ddd;"
                    + "padding-bottom:4px}h3{font-size:15px;margin:18px 0 8px}",
            ".sub{color:#666;margin:0}",
            ".cards{display:flex;flex-wrap:wrap;gap:10px}",
            ".card{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px 14px;min-width:110px}",
            ".card .v{font-size:20px;font-weight:600}.card .k{font-size:12px;color:#666}",
            "table{border-collapse:collapse;background:#fff;font-size:13px}",
            "th,td{border:1px solid #e2e2e2;padding:4px 8px;text-align:left;vertical-align:top}",
            "th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}",
            ".barcell{min-width:180px}.bar{background:#4a7bd0;height:10px;border-radius:2px}",
            ".sheet{display:flex;flex-wrap:wrap;gap:12px}",
            ".thumb{margin:0;width:200px;background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:6px;"
                    + "break-inside:avoid}",
            ".thumb img{display:block;margin:0 auto}.thumb img.up{image-rendering:pixelated}",
            ".thumb audio{display:block;width:100%}",
            ".thumb figcaption{font-size:11px;color:#333;margin-top:4px}.thumb figcaption .id{font-weight:600}",
            "table.params{border:0;background:none;font-size:11px;width:100%}",
            "table.params th,table.params td{border:0;padding:1px 4px 1px 0;background:none;overflow-wrap:anywhere}",
            "table.params th{color:#666;font-weight:400;white-space:nowrap}",
            ".empty{color:#666;font-style:italic}",
            ".err td.msg{color:#a40000;font-family:ui-monospace,monospace;white-space:pre-wrap;max-width:700px}",
            ".err td.raw{font-family:ui-monospace,monospace;font-size:11px;color:#555;max-width:360px;"
                    + "word-break:break-all}",
            ".none{color:#666;font-style:italic}");

    private RunReportHtml() {
    }

    public static String render(ReportData d) {
        JobSummary s = d.summary();
        StringBuilder b = new StringBuilder(16_384);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>diffusers4j run ").append(esc(s.runId())).append("</title>\n<style>\n")
                .append(STYLE).append("\n</style>\n</head>\n<body>\n");
        b.append("<h1>diffusers4j run report</h1>\n<p class=\"sub\">run <code>").append(esc(s.runId()))
                .append("</code> &middot; ").append(esc(d.generatedAt())).append("</p>\n");
        figures(b, s);
        settings(b, d.settings());
        contactSheet(b, d, s);
        errors(b, d, s);
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    private static void figures(StringBuilder b, JobSummary s) {
        b.append("<section id=\"figures\">\n<h2>Figures</h2>\n<div class=\"cards\">\n");
        card(b, "ok images", Long.toString(s.okImages()));
        card(b, "error rows", Long.toString(s.errorRows()));
        if (s.skipped() > 0) {
            card(b, "skipped (already ok)", Long.toString(s.skipped()));
        }
        card(b, "images/s", fmt("%.2f", s.imagesPerSecond()));
        card(b, "s in all (with Spark start-up)", fmt("%.1f", s.totalSeconds()));
        card(b, "s generate+write", fmt("%.1f", s.seconds()));
        card(b, "s of pipeline time", fmt("%.1f", s.renderMillis() / 1000.0));
        card(b, "ms per image (pipeline)", s.okImages() == 0 ? "-" : fmt("%.0f", (double) s.renderMillis()
                / s.okImages()));
        b.append("</div>\n<h3>Per executor</h3>\n<table id=\"executors\">\n<tr><th>executor</th><th>ok images</th>"
                + "<th>ok images vs. the busiest executor</th><th>error rows</th><th>pipeline builds</th>"
                + "<th>pipeline s</th><th>ms/image</th></tr>\n");
        long max = 1;
        for (JobSummary.ExecutorFigures f : s.executors()) {
            max = Math.max(max, f.okImages());
        }
        for (JobSummary.ExecutorFigures f : s.executors()) {
            b.append("<tr><td>").append(esc(f.executorId())).append("</td><td class=\"n\">").append(f.okImages())
                    .append("</td><td class=\"barcell\"><div class=\"bar\" style=\"width:")
                    .append(fmt("%.1f", 100.0 * f.okImages() / max)).append("%\"></div></td><td class=\"n\">")
                    .append(f.errorRows()).append("</td><td class=\"n\">").append(f.pipelineBuilds())
                    .append("</td><td class=\"n\">").append(fmt("%.1f", f.renderMillis() / 1000.0))
                    .append("</td><td class=\"n\">").append(f.okImages() == 0 ? "-" : fmt("%.0f", f.millisPerImage()))
                    .append("</td></tr>\n");
        }
        if (s.executors().isEmpty()) {
            b.append("<tr><td colspan=\"7\" class=\"none\">no rows</td></tr>\n");
        }
        b.append("</table>\n<h3>Pipeline builds</h3>\n");
        if (s.builds().isEmpty()) {
            b.append("<p class=\"none\">no pipeline was built (no image to render)</p>\n");
        } else {
            b.append("<table id=\"builds\">\n<tr><th>pipeline instance</th><th>executor</th><th>build time</th></tr>\n");
            for (JobMetrics.Build p : s.builds()) {
                b.append("<tr><td><code>").append(esc(p.instanceId())).append("</code></td><td>")
                        .append(esc(p.executorId())).append("</td><td class=\"n\">")
                        .append(fmt("%.2f s", p.buildMillis() / 1000.0)).append("</td></tr>\n");
            }
            b.append("</table>\n");
        }
        b.append("</section>\n");
    }

    private static void card(StringBuilder b, String label, String value) {
        b.append("<div class=\"card\"><div class=\"v\">").append(esc(value)).append("</div><div class=\"k\">")
                .append(esc(label)).append("</div></div>\n");
    }

    private static void settings(StringBuilder b, Map<String, String> settings) {
        b.append("<section id=\"settings\">\n<h2>Settings</h2>\n<table>\n");
        for (Map.Entry<String, String> e : settings.entrySet()) {
            b.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue()))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n</section>\n");
    }

    private static void contactSheet(StringBuilder b, ReportData d, JobSummary s) {
        b.append("<section id=\"contact-sheet\">\n<h2>Contact sheet</h2>\n<p class=\"sub\">")
                .append(d.thumbnails().size()).append(" of ").append(s.okImages()).append(" ok images");
        if (!d.thumbnails().isEmpty()) {
            b.append(", model <code>").append(esc(d.thumbnails().get(0).model())).append("</code>");
        }
        b.append("; every image's parameters are also in its PNG text chunks</p>\n<div class=\"sheet\">\n");
        for (ReportData.Thumbnail t : d.thumbnails()) {
            b.append("<figure class=\"thumb\">");
            if (t.audio() != null) {
                clip(b, t.audio());
            } else {
                int[] size = displaySize(t.width(), t.height());
                b.append("<img").append(size[2] > 1 ? " class=\"up\"" : "").append(" width=\"").append(size[0])
                        .append("\" height=\"").append(size[1]).append("\" src=\"").append(t.dataUri())
                        .append("\" alt=\"").append(esc(t.prompt())).append("\">");
            }
            b.append("<figcaption><div class=\"id\">").append(esc(t.id())).append(" #").append(t.imageIndex())
                    .append("</div><table class=\"params\">\n");
            for (Map.Entry<String, String> p : parameters(t).entrySet()) {
                b.append("<tr><th>").append(esc(p.getKey())).append("</th><td>");
                if (p.getValue().isEmpty()) {
                    b.append("<span class=\"empty\">(empty)</span>");
                } else {
                    b.append(esc(p.getValue()));
                }
                b.append("</td></tr>\n");
            }
            b.append("</table></figcaption></figure>\n");
        }
        if (d.thumbnails().isEmpty()) {
            b.append("<p class=\"none\">no ok images in this run</p>\n");
        }
        b.append("</div>\n</section>\n");
    }

    /** An audio row's player: its WAV embedded in an {@code <audio>} element, or a note when it is too large. */
    private static void clip(StringBuilder b, ReportData.Audio audio) {
        if (audio.dataUri() == null) {
            b.append("<p class=\"none\">clip of ").append(audio.wav().length >> 10).append(" KiB: too large to embed; "
                    + "it is in the output's audio column</p>");
            return;
        }
        b.append("<audio controls preload=\"none\" src=\"").append(audio.dataUri()).append("\"></audio>");
    }

    /**
     * {width, height, upscale} on the sheet: every image fits the same {@value RunReport#THUMB_SIZE}-pixel box
     * (larger ones were scaled down to it, smaller ones are magnified, pixelated so their pixels stay sharp);
     * upscale 2 marks a magnified one, 1 the others.
     */
    static int[] displaySize(Integer width, Integer height) {
        int w = width == null ? RunReport.THUMB_SIZE : Math.max(1, width);
        int h = height == null ? RunReport.THUMB_SIZE : Math.max(1, height);
        double f = (double) RunReport.THUMB_SIZE / Math.max(w, h);
        return new int[] {Math.max(1, (int) Math.round(w * f)), Math.max(1, (int) Math.round(h * f)), f > 1 ? 2 : 1};
    }

    /** Every generation parameter of an image, label to value, in caption order (unset optional ones left out). */
    static Map<String, String> parameters(ReportData.Thumbnail t) {
        Map<String, String> p = new LinkedHashMap<>();
        boolean prompted = t.prompt() != null; // unconditional and audio pipelines draw without one
        if (prompted) {
            p.put("prompt", t.prompt());
            p.put("negative", t.negativePrompt() == null ? "none" : t.negativePrompt());
        }
        if (t.prompt2() != null) {
            p.put("prompt_2", t.prompt2());
        }
        if (t.negativePrompt2() != null) {
            p.put("negative_2", t.negativePrompt2());
        }
        if (t.prompt3() != null) {
            p.put("prompt_3", t.prompt3());
        }
        if (t.negativePrompt3() != null) {
            p.put("negative_3", t.negativePrompt3());
        }
        p.put("seed", String.valueOf(t.seed()));
        p.put("steps", String.valueOf(t.steps()));
        if (t.guidanceScale() != null) {
            p.put("guidance", String.valueOf(t.guidanceScale()));
        }
        p.put("scheduler", String.valueOf(t.scheduler()));
        if (t.maxSequenceLength() != null) {
            p.put("max_sequence_length", t.maxSequenceLength().toString());
        }
        if (t.timesteps() != null) {
            p.put("timesteps", GenerationMetadata.numbers(CustomSchedule.toArray(t.timesteps())));
        }
        if (t.sigmas() != null) {
            p.put("sigmas", GenerationMetadata.numbers(CustomSchedule.toArray(t.sigmas())));
        }
        if (t.loras() != null) {
            p.put("loras", t.loras());
        }
        if (t.textualInversions() != null) {
            p.put("textual_inversions", t.textualInversions());
        }
        if (t.audio() != null) {
            p.put("audio", GenerationMetadata.numbers(new double[] {t.audio().lengthSeconds()}) + " s at "
                    + t.audio().sampleRate() + " Hz");
        } else {
            p.put("size", t.width() + "x" + t.height());
        }
        p.put("executor", t.executorId() + (t.durationMs() == null ? "" : ", " + t.durationMs() + " ms"));
        return p;
    }

    private static void errors(StringBuilder b, ReportData d, JobSummary s) {
        b.append("<section id=\"errors\">\n<h2>Error rows</h2>\n");
        if (d.errors().isEmpty()) {
            b.append("<p class=\"none\">no error rows</p>\n</section>\n");
            return;
        }
        b.append("<p class=\"sub\">").append(d.errors().size()).append(" of ").append(s.errorRows())
                .append(" error rows (the Parquet output has all of them: status = 'error')</p>\n")
                .append("<table class=\"err\">\n<tr><th>id</th><th>image</th><th>source</th><th>prompt</th>"
                        + "<th>error</th><th>input</th></tr>\n");
        for (ReportData.ErrorRow e : d.errors()) {
            b.append("<tr><td>").append(esc(e.id())).append("</td><td class=\"n\">").append(e.imageIndex())
                    .append("</td><td>").append(esc(e.source())).append("</td><td>").append(esc(e.prompt()))
                    .append("</td><td class=\"msg\">").append(esc(e.error())).append("</td><td class=\"raw\">")
                    .append(esc(e.raw())).append("</td></tr>\n");
        }
        b.append("</table>\n</section>\n");
    }

    private static String fmt(String f, double v) {
        return String.format(Locale.ROOT, f, v);
    }

    /** HTML text and attribute escaping. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                case '\n' -> b.append("&#10;");
                case '\0' -> b.append('\uFFFD'); // HTML cannot hold NUL; browsers show U+FFFD for it too
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}

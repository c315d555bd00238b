// The job on unconditional (DDPM) and audio (Dance Diffusion) checkpoints: rows without a prompt, WAV audio rows.
package io.diffusers4j.job;

import io.diffusers4j.audio.WavReader;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.pipelines.AudioPipelineOutput;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.TinyPipeline;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the real pipelines of {@code tiny-pipeline --kind unconditional|audio} in the job: rows need no prompt (id
 * and seed still apply), a prompt there is that row's error with the pipeline's message, each item equals the
 * library's single call with its seed, and audio rows carry a WAV {@code audio} struct, its sample rate and length,
 * played in the run report by an {@code <audio>} element.
 */
class JobUnconditionalTest {
    @TempDir
    Path dir;

    @Test
    void unconditionalRowsNeedNoPromptAndAPromptIsTheRowsError() {
        Path model = TinyPipeline.defaultModel(TinyPipeline.Kind.UNCONDITIONAL);
        Path in = JobHarness.write(dir, "rows.jsonl",
                "{\"id\": \"a\", \"seed\": 5, \"num_inference_steps\": 2}",
                "{\"id\": \"b\", \"seed\": 6, \"num_inference_steps\": 2, \"num_images_per_prompt\": 2}",
                "{\"id\": \"p\", \"prompt\": \"a cat\", \"seed\": 1, \"num_inference_steps\": 2}",
                "{\"id\": \"s\", \"num_inference_steps\": 2}",
                "{\"id\": \"l\", \"seed\": 2, \"num_inference_steps\": 2, \"audio_length_in_s\": 1.5}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.run("--prompts", in.toString(), "--output", out.toString(), "--model",
                model.toString(), "--batch-size", "2", "--partitions", "1");
        Map<String, Row> rows = byKey(JobHarness.rows(out));
        assertEquals(6, rows.size());
        assertTrue(((String) rows.get("l#0").getAs("error")).startsWith("DDPMPipeline does not take "
                + "audio_length_in_s"), (String) rows.get("l#0").getAs("error"));
        assertEquals(4, s.okImages(), rows.values().stream().map(r -> r.getAs("id") + ": " + r.getAs("error"))
                .toList().toString());
        Row refused = rows.get("p#0");
        assertEquals("error", refused.getAs("status"));
        assertTrue(((String) refused.getAs("error")).startsWith("DDPMPipeline does not take prompt"),
                (String) refused.getAs("error"));
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(model.toString(), new PipelineOptions())) {
            for (String key : List.of("a#0", "b#0", "b#1", "s#0")) {
                Row r = rows.get(key);
                assertEquals("ok", r.getAs("status"), key);
                assertNull(r.getAs("prompt"));
                assertNull(r.getAs("guidance_scale"), "no guidance without a prompt");
                assertEquals(16, (Integer) r.getAs("width"), "the UNet's sample_size");
                assertNull(r.getAs("audio"));
                long seed = r.getAs("seed");
                ImagePipelineOutput expected = (ImagePipelineOutput) pipe.call(new PipelineCall().seed(seed)
                        .numInferenceSteps(2));
                BufferedImage actual = JobHarness.png(r);
                int worst = JobHarness.maxChannelDiff(expected.images().get(0), actual);
                assertTrue(worst <= 1, key + " (batch " + r.getAs("batch_size") + ") differs by " + worst
                        + "/255 from the single call with seed " + seed);
            }
        }
        assertEquals(7L, (Long) rows.get("b#1").getAs("seed"), "image i of seed 6 records 6 + i");
    }

    @Test
    void audioRowsHoldAWavStructWithSampleRateAndLengthAndTheReportPlaysThem() throws Exception {
        Path model = TinyPipeline.defaultModel(TinyPipeline.Kind.AUDIO);
        Path in = JobHarness.write(dir, "rows.jsonl",
                "{\"id\": \"x\", \"seed\": 3, \"num_inference_steps\": 2}",
                "{\"id\": \"y\", \"seed\": 4, \"num_inference_steps\": 2}",
                "{\"id\": \"z\", \"prompt\": \"drums\", \"seed\": 4, \"num_inference_steps\": 2}",
                "{\"id\": \"w\", \"seed\": 5, \"num_inference_steps\": 2, \"audio_length_in_s\": 0.05}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.run("--prompts", in.toString(), "--output", out.toString(), "--model",
                model.toString(), "--batch-size", "2", "--partitions", "1");
        Map<String, Row> rows = byKey(JobHarness.rows(out));
        assertEquals(3, s.okImages(), rows.values().stream().map(r -> r.getAs("id") + ": " + r.getAs("error"))
                .toList().toString());
        assertTrue(((String) rows.get("z#0").getAs("error")).startsWith("DanceDiffusionPipeline does not take "
                + "prompt"), (String) rows.get("z#0").getAs("error"));
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(model.toString(), new PipelineOptions())) {
            for (String key : List.of("x#0", "y#0", "w#0")) {
                Row r = rows.get(key);
                Double length = key.equals("w#0") ? 0.05 : null;
                assertNull(r.getAs("image"));
                assertNull(r.getAs("width"), "audio has no picture size");
                Row audio = r.getAs("audio");
                assertEquals(r.getAs("id") + "-0.wav", audio.getAs("path"));
                WavReader wav = WavReader.read(audio.getAs("bytes"));
                assertEquals(16000, wav.sampleRate());
                assertEquals(16000, (Integer) r.getAs("sample_rate"));
                assertEquals(wav.frames() / 16000.0, (Double) r.getAs("audio_length_s"), 1e-12);
                String comment = wav.info().get("ICMT");
                assertTrue(comment.contains("Seed: " + r.getAs("seed")) && comment.contains("Steps: 2"), comment);
                AudioPipelineOutput expected = (AudioPipelineOutput) pipe.call(new PipelineCall()
                        .seed(r.getAs("seed")).numInferenceSteps(2).audioLengthInS(length));
                assertEquals(length == null ? 512 : 800, wav.frames(), "the default length, or int(0.05 * 16000)");
                float[] want = expected.audio(0);
                assertEquals(want.length, wav.planar().length);
                double worst = 0;
                for (int i = 0; i < want.length; i++) {
                    worst = Math.max(worst, Math.abs(want[i] - wav.planar()[i]));
                }
                assertTrue(worst <= 1.0 / 32767 + 1e-4, key + ": 16-bit WAV differs by " + worst
                        + " from the single call");
            }
        }
        String page = Files.readString(out.resolve("_report/index.html"));
        assertTrue(page.contains("<audio controls preload=\"none\" src=\"data:audio/wav;base64,"), "an audio player");
        assertFalse(page.contains("<img"), "no picture for audio rows");
        assertTrue(Files.isRegularFile(out.resolve("_report/samples/x-0.wav")));
    }

    @Test
    void theDriverAsksTheCheckpointWhetherRowsNeedAPrompt() {
        PipelineSpec uncond = PipelineSpec.embeddedDefault()
                .withModel(TinyPipeline.defaultModel(TinyPipeline.Kind.UNCONDITIONAL).toString());
        assertEquals(uncond, DriverModel.prepare(uncond, true, null), "an unconditional folder passes the check");
        assertFalse(DriverModel.promptRequired(uncond));
        assertFalse(DriverModel.promptRequired(PipelineSpec.embeddedDefault()
                .withModel(TinyPipeline.defaultModel(TinyPipeline.Kind.AUDIO).toString())));
        assertTrue(DriverModel.promptRequired(PipelineSpec.embeddedDefault()));
        assertTrue(DriverModel.promptRequired(PipelineSpec.embeddedDefault()
                .withModel(TinyPipeline.defaultModel(TinyPipeline.Kind.TEXT_TO_IMAGE).toString())));
    }

    private static Map<String, Row> byKey(List<Row> rows) {
        return rows.stream().collect(Collectors.toMap(r -> r.getAs("id") + "#" + r.getAs("image_index"),
                Function.identity()));
    }
}

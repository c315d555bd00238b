// Tests of `diffusers4j generate` on unconditional (DDPM, DDIM) and audio (Dance Diffusion) checkpoints.
package io.diffusers4j.cli;

import io.diffusers4j.audio.WavReader;
import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.pipelines.AudioPipelineOutput;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the real command in-process on checkpoints written by {@code tiny-pipeline --kind unconditional|audio}. */
class GenerateUnconditionalTest {
    @TempDir
    static Path models;
    private static Path ddpm;
    private static Path ddim;
    private static Path audio;

    @BeforeAll
    static void write() throws Exception {
        ddpm = models.resolve("ddpm");
        audio = models.resolve("audio");
        assertEquals(0, run("tiny-pipeline", "--kind", "unconditional", "--output", ddpm.toString())[0]);
        assertEquals(0, run("tiny-pipeline", "--kind", "audio", "--seed", "1", "--output", audio.toString())[0]);
        // the same components as a DDIMPipeline (which runs the DDPMScheduler as DDIMScheduler.from_config)
        ddim = models.resolve("ddim");
        assertEquals(0, run("tiny-pipeline", "--kind", "unconditional", "--output", ddim.toString())[0]);
        Path index = ddim.resolve("model_index.json");
        Files.writeString(index, Files.readString(index).replace("\"DDPMPipeline\"", "\"DDIMPipeline\""));
    }

    private static Object[] run(String... args) {
        return GenerateOutputTest.run(args);
    }

    @Test
    void anUnconditionalCheckpointRendersWithoutAPrompt(@TempDir Path out) throws Exception {
        Object[] r = run("generate", "--model", ddpm.toString(), "--steps", "2", "--batch-size", "2", "--seed", "5",
                "--output", out.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("wrote 2 image(s)"), (String) r[1]);
        Png.Decoded second = Png.read(out.resolve("001.png"));
        assertEquals(16, second.image().getWidth(), "the UNet's sample_size");
        GenerationMetadata m = GenerationMetadata.fromPngText(second.text());
        assertNull(m.prompt());
        assertNull(m.guidanceScale(), "no guidance to record");
        assertEquals(5L, m.seed());
        assertEquals(2, m.steps());
        assertEquals("DDPMScheduler", m.scheduler());
        assertEquals("1", m.extra().get("batch_index"), "one generator for the batch: " + m.extra());
        assertEquals("2", m.extra().get("batch_size"));

        Object[] eta = run("generate", "--model", ddim.toString(), "--steps", "2", "--seed", "6", "--eta", "0.5",
                "--use-clipped-model-output", "--output", out.resolve("ddim").toString(), "--no-progress");
        assertEquals(0, eta[0], (String) eta[1]);
        GenerationMetadata d = GenerationMetadata.fromPngText(Png.read(out.resolve("ddim/000.png")).text());
        assertEquals("0.5", d.extra().get("eta"));
        assertEquals("true", d.extra().get("use_clipped_model_output"));
        assertEquals("DDIMScheduler", d.scheduler(), "DDIMPipeline runs its scheduler as DDIM");
    }

    /**
     * --batch-size is diffusers' batch_size there, the run's count: more samples than one call takes by default (8)
     * are rendered in several calls, each sample as the single batch_size call with one generator draws it (the
     * initial noise and DDPM's noise at every step).
     */
    @Test
    void aLargeBatchIsRenderedInMicroBatchesAsTheSingleCallDrawsIt(@TempDir Path out) throws Exception {
        Path npy = out.resolve("ddpm.npy");
        Object[] r = run("generate", "--model", ddpm.toString(), "--steps", "2", "--batch-size", "10", "--seed", "5",
                "--output-type", "np", "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("images 9-10 of 10"), "two calls: " + r[1]);
        Npy.Array array = Npy.read(npy);
        assertArrayEquals(new long[] {10, 16, 16, 3}, array.shape());
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(ddpm.toString(), new PipelineOptions())) {
            float[] single = ((ImagePipelineOutput) pipe.call(new PipelineCall().numInferenceSteps(2).batchSize(10)
                    .seed(5).outputType("np"))).data();
            assertArrayEquals(single, array.floats(), 1e-5f, "the micro-batches draw the single call's samples");
        }
        Path clips = out.resolve("clips.npy");
        Object[] a = run("generate", "--model", audio.toString(), "--steps", "2", "--batch-size", "9", "--seed", "2",
                "--output-type", "np", "--output", clips.toString(), "--no-progress");
        assertEquals(0, a[0], (String) a[1]);
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(audio.toString(), new PipelineOptions())) {
            float[] single = ((AudioPipelineOutput) pipe.call(new PipelineCall().numInferenceSteps(2).batchSize(9)
                    .seed(2))).data();
            assertArrayEquals(single, Npy.read(clips).floats(), 1e-5f, "audio too");
        }
    }

    @Test
    void aPromptAnImageOrDdimsEtaIsAUsageErrorOnDdpm(@TempDir Path out) throws Exception {
        Object[] prompt = run("generate", "--model", ddpm.toString(), "--prompt", "a cat", "--output",
                out.resolve("a").toString());
        assertEquals(Errors.USAGE, prompt[0]);
        assertTrue(((String) prompt[1]).contains("DDPMPipeline does not take prompt"), (String) prompt[1]);
        Path png = out.resolve("in.png");
        ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "png", png.toFile());
        Object[] image = run("generate", "--model", ddpm.toString(), "--image", png.toString(), "--output",
                out.resolve("b").toString());
        assertEquals(Errors.USAGE, image[0]);
        assertTrue(((String) image[1]).contains("DDPMPipeline does not take image"), (String) image[1]);
        Object[] eta = run("generate", "--model", ddpm.toString(), "--eta", "0.3", "--output",
                out.resolve("c").toString());
        assertEquals(Errors.USAGE, eta[0]);
        assertTrue(((String) eta[1]).contains("DDPMPipeline does not take eta"), (String) eta[1]);
        Object[] wav = run("generate", "--model", ddpm.toString(), "--steps", "1", "--output-type", "wav",
                "--output", out.resolve("d").toString());
        assertEquals(Errors.USAGE, wav[0]);
        assertTrue(((String) wav[1]).contains("--output-type wav is for audio checkpoints"), (String) wav[1]);
        assertFalse(Files.exists(out.resolve("a")) || Files.exists(out.resolve("d")), "nothing written");
    }

    @Test
    void anAudioCheckpointWritesWavFilesWithTheirParameters(@TempDir Path out) throws Exception {
        Path wavs = out.resolve("wavs");
        Object[] r = run("generate", "--model", audio.toString(), "--audio-length-in-s", "0.05", "--steps", "2",
                "--batch-size", "2", "--seed", "3", "--seed", "4", "--wav-format", "float32", "--output",
                wavs.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("wrote 2 audio clip(s)"), (String) r[1]);
        WavReader second = WavReader.read(Files.readAllBytes(wavs.resolve("001.wav")));
        assertEquals(16000, second.sampleRate());
        assertEquals(2, second.channels());
        assertEquals(800, second.frames(), "int(0.05 * 16000)");
        String comment = second.info().get("ICMT");
        assertTrue(comment.contains("Steps: 2") && comment.contains("Seed: 4")
                && comment.contains("audio_length_in_s: 0.05") && comment.contains("sample_rate: 16000"), comment);
        assertEquals("001", second.info().get("INAM"));

        Path npy = out.resolve("audio.npy");
        Object[] np = run("generate", "--model", audio.toString(), "--audio-length-in-s", "0.05", "--steps", "2",
                "--batch-size", "2", "--seed", "3", "--seed", "4", "--output-type", "np", "--output", npy.toString(),
                "--no-progress");
        assertEquals(0, np[0], (String) np[1]);
        Npy.Array array = Npy.read(npy);
        assertArrayEquals(new long[] {2, 2, 800}, array.shape());
        float[] all = array.floats();
        float[] secondItem = Arrays.copyOfRange(all, 2 * 800, 4 * 800);
        assertArrayEquals(secondItem, second.planar(), "float32 WAV samples are the array's values");

        Object[] pcm = run("generate", "--model", audio.toString(), "--steps", "1", "--output",
                out.resolve("pcm").toString(), "--no-progress");
        assertEquals(0, pcm[0], (String) pcm[1]);
        WavReader defaults = WavReader.read(Files.readAllBytes(out.resolve("pcm/000.wav")));
        assertEquals(512, defaults.frames(), "the default length: sample_size / sample_rate");
        assertEquals("PCM_16", defaults.format().name());
        Object[] png = run("generate", "--model", audio.toString(), "--output-type", "png", "--output",
                out.resolve("png").toString());
        assertEquals(Errors.USAGE, png[0]);
        assertTrue(((String) png[1]).contains("an audio checkpoint writes wav"), (String) png[1]);
    }
}

package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.models.unet.UNet1DModel;
import io.diffusers4j.models.unet.UNet2DModel;
import io.diffusers4j.schedulers.DDIMScheduler;
import io.diffusers4j.schedulers.DDPMScheduler;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pipeline contract of the unconditional pipelines (DDPM, DDIM, Dance Diffusion): defaults, checks, saving. */
class UnconditionalPipelineTest {
    private static DiffusionPipeline ddpm;
    private static DiffusionPipeline ddim;
    private static DiffusionPipeline dance;

    @BeforeAll
    static void load() {
        ddpm = DiffusionPipeline.fromPretrained(dir("tiny-ddpm").toString(), new PipelineOptions());
        ddim = DiffusionPipeline.fromPretrained(dir("tiny-ddim").toString(), new PipelineOptions());
        dance = DiffusionPipeline.fromPretrained(dir("tiny-dance").toString(), new PipelineOptions());
    }

    @AfterAll
    static void close() {
        ddpm.close();
        ddim.close();
        dance.close();
    }

    static Path dir(String checkpoint) {
        return DiffusersReferenceUnconditionalTest.dir().resolve(checkpoint);
    }

    @Test
    void modelIndexNamesTheClassTaskAndDefaults() {
        assertInstanceOf(DDPMPipeline.class, ddpm);
        assertInstanceOf(DDIMPipeline.class, ddim);
        assertInstanceOf(DanceDiffusionPipeline.class, dance);
        assertEquals(PipelineTask.UNCONDITIONAL_IMAGE, ddpm.task());
        assertEquals(PipelineTask.AUDIO, dance.task());
        assertEquals(1000, ddpm.defaults().numInferenceSteps());
        assertEquals(50, ddim.defaults().numInferenceSteps());
        assertEquals(100, dance.defaults().numInferenceSteps());
        assertEquals(16, ddim.defaults().height());
        assertEquals(8, ddim.defaults().width(), "sample_size [16, 8] is (height, width)");
        PipelineCall resolved = dance.withDefaults(new PipelineCall());
        assertEquals(1, resolved.batchSizeArgument());
        assertEquals(512.0 / 16000, resolved.audioLengthInS());
        assertNull(resolved.guidanceScale(), "no guidance to default");
        assertArrayEquals(new int[] {2, 512}, dance.outputSize(resolved), "(channels, samples)");
        assertArrayEquals(new int[] {2, 340}, dance.outputSize(resolved.audioLengthInS(0.0213)),
                "int(0.0213 * 16000): the length the output is cut back to");
        assertArrayEquals(new int[] {16, 16}, ddpm.outputSize(ddpm.withDefaults(new PipelineCall())));
        PipelineCall call = new PipelineCall();
        assertSame(ddpm, ddpm.pipelineFor(call));
        assertSame(dance, dance.pipelineFor(call));
        assertArrayEquals(new long[] {2, 340}, dance.outputShape(resolved, "np"), "one clip's array");
    }

    /** What front ends learn from model_index.json alone, before any weight loads. */
    @Test
    void theRegistryAnswersForACheckpointFolderBeforeLoading() {
        PipelineRegistry.Entry image = DiffusionPipeline.registeredFor(dir("tiny-ddim"), new PipelineCall());
        assertEquals("DDIMPipeline", image.className());
        assertTrue(image.accepted().contains(CallArgument.BATCH_SIZE) && image.required().isEmpty());
        assertFalse(image.task().producesAudio());
        PipelineRegistry.Entry audio = DiffusionPipeline.registeredFor(dir("tiny-dance"), new PipelineCall());
        assertEquals(PipelineTask.AUDIO, audio.task());
        assertTrue(audio.task().producesAudio());
        assertFalse(audio.accepted().contains(CallArgument.PROMPT));
    }

    @Test
    void argumentsOtherThanTheirDiffusersCallsAreRefused() {
        assertRefused(ddpm, new PipelineCall().prompt("a cat"),
                "DDPMPipeline does not take prompt (its diffusers __call__ has no such argument)");
        assertRefused(ddpm, new PipelineCall().image(List.of(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB))),
                "DDPMPipeline does not take image");
        assertRefused(ddpm, new PipelineCall().guidanceScale(3.0), "DDPMPipeline does not take guidance_scale");
        assertRefused(ddpm, new PipelineCall().numImagesPerPrompt(2), "DDPMPipeline does not take num_images_per_prompt");
        assertRefused(ddpm, new PipelineCall().eta(0.5), "DDPMPipeline does not take eta");
        assertRefused(ddpm, new PipelineCall().height(32), "DDPMPipeline does not take height");
        assertRefused(dance, new PipelineCall().eta(0.5), "DanceDiffusionPipeline does not take eta");
        assertRefused(ddim, new PipelineCall().audioLengthInS(1.0), "DDIMPipeline does not take audio_length_in_s");
        assertRefused(ddim, new PipelineCall().outputType("latent"), "DDIMPipeline has no output_type 'latent'");
        assertRefused(dance, new PipelineCall().audioLengthInS(0.001),
                "0.001 is too small. Make sure it's bigger or equal to 0.0015.");
        assertRefused(dance, new PipelineCall().audioLengthInS(1e9), "batch_size x channels x samples");
        assertRefused(ddpm, new PipelineCall().batchSize(0), "batch_size must be >= 1, got 0");
        assertRefused(ddim, new PipelineCall().seeds(1, 2, 3).batchSize(2), "list of generators of length 3");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.checkCall(dir("tiny-dance"), new PipelineCall().prompt("piano")));
        assertTrue(e.getMessage().startsWith("DanceDiffusionPipeline does not take prompt"), e.getMessage());
        // the text-to-image pipelines take guidance and images per prompt; batch_size is the unconditional ones'
        assertTrue(PipelineRegistry.get("StableDiffusionPipeline").accepted().contains(CallArgument.GUIDANCE_SCALE));
        assertTrue(PipelineRegistry.takers("DDPMPipeline", CallArgument.ETA).isEmpty());
    }

    private static void assertRefused(DiffusionPipeline pipe, PipelineCall call, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipe.call(call.numInferenceSteps(call.numInferenceSteps() == null ? 2
                        : call.numInferenceSteps())));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void ddimRunsAnySchedulerAsDdim() {
        Scheduler ddpmScheduler = ddpm.scheduler();
        assertInstanceOf(DDPMScheduler.class, ddpmScheduler);
        try (DDIMPipeline p = new DDIMPipeline(ddpm.components())) {
            assertInstanceOf(DDIMScheduler.class, p.scheduler(), "DDIMScheduler.from_config(scheduler.config)");
            p.setScheduler(Schedulers.create("EulerDiscreteScheduler", ddpmScheduler.config()));
            assertInstanceOf(DDIMScheduler.class, p.scheduler());
        }
        assertSame(ddpmScheduler, ddpm.scheduler(), "the components' scheduler is unchanged");
    }

    @Test
    void savePretrainedRoundTripsEachCheckpoint(@TempDir Path tmp) throws Exception {
        for (DiffusionPipeline pipe : List.of(ddpm, ddim, dance)) {
            String name = pipe == ddpm ? "tiny-ddpm" : pipe == ddim ? "tiny-ddim" : "tiny-dance";
            Path out = tmp.resolve(name);
            pipe.savePretrained(out, null);
            for (String file : List.of("model_index.json", "unet/config.json", "scheduler/scheduler_config.json")) {
                JsonObject written = ConfigBase.readJsonObject(out.resolve(file));
                JsonObject diffusers = ConfigBase.readJsonObject(dir(name).resolve(file));
                assertEquals(diffusers, written, name + " " + file + " as diffusers' save_pretrained writes it");
            }
            try (DiffusionPipeline reloaded = DiffusionPipeline.fromPretrained(out.toString(), new PipelineOptions())) {
                assertEquals(pipe.getClass(), reloaded.getClass());
                assertEquals(pipe == dance ? UNet1DModel.class : UNet2DModel.class,
                        reloaded.components().get("unet").getClass(), "the UNet class model_index.json names");
                Map<String, NDArray> before = stateDict(pipe);
                Map<String, NDArray> after = stateDict(reloaded);
                assertEquals(before.keySet(), after.keySet());
                for (Map.Entry<String, NDArray> e : before.entrySet()) {
                    assertArrayEquals(e.getValue().toFloatArray(), after.get(e.getKey()).toFloatArray(), e.getKey());
                }
                PipelineCall call = new PipelineCall().numInferenceSteps(2).seed(5).outputType("np");
                assertArrayEquals(data(pipe.call(call.copy().seed(5))), data(reloaded.call(call.copy().seed(5))),
                        name + " renders the same after the round trip");
            }
        }
    }

    @Test
    void tinyPipelinesOfTheUnconditionalKindsLoadAndRun(@TempDir Path tmp) throws Exception {
        Path image = TinyPipeline.write(tmp.resolve("image"), 3, TinyPipeline.Kind.UNCONDITIONAL);
        Path again = TinyPipeline.write(tmp.resolve("again"), 3, TinyPipeline.Kind.UNCONDITIONAL);
        String weights = "unet/diffusion_pytorch_model.safetensors";
        assertArrayEquals(Files.readAllBytes(image.resolve(weights)), Files.readAllBytes(again.resolve(weights)),
                "the same seed writes the same weights");
        Path audio = TinyPipeline.write(tmp.resolve("audio"), 3, TinyPipeline.Kind.AUDIO);
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(image.toString(), new PipelineOptions());
             DiffusionPipeline a = DiffusionPipeline.fromPretrained(audio.toString(), new PipelineOptions())) {
            assertInstanceOf(DDPMPipeline.class, p);
            ImagePipelineOutput out = (ImagePipelineOutput) p.call(new PipelineCall().numInferenceSteps(2).seed(1)
                    .batchSize(2).outputType("np"));
            assertArrayEquals(new long[] {2, 16, 16, 3}, out.shape());
            AudioPipelineOutput sound = (AudioPipelineOutput) a.call(new PipelineCall().numInferenceSteps(2).seed(1));
            assertArrayEquals(new long[] {1, 2, 512}, sound.shape());
            assertEquals(16000, sound.sampleRate());
            for (float v : sound.data()) {
                assertTrue(v >= -1 && v <= 1 && !Float.isNaN(v), "clamped audio");
            }
            // the resampling kernels are diffusers' values, not random ones
            UNet1DModel unet = (UNet1DModel) a.components().get("unet");
            assertEquals(-0.01171875f, unet.stateDict().get("down_blocks.1.down.kernel").toFloatArray()[0]);
            assertEquals(2 * 0.43359375f, unet.stateDict().get("mid_block.up.kernel").toFloatArray()[3]);
        }
    }

    private static Map<String, NDArray> stateDict(DiffusionPipeline pipe) {
        return ((OwnedModel<?>) pipe.components().get("unet")).stateDict();
    }

    private static float[] data(PipelineOutput out) {
        return out instanceof AudioPipelineOutput audio ? audio.data() : ((ImagePipelineOutput) out).data();
    }
}

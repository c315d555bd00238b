// The pipeline contract front ends rely on: defaults, accepted arguments (vs diffusers' __call__), checks, pipelineFor.
package io.diffusers4j.pipelines;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineContractTest {
    private static DiffusionPipeline sd;
    private static DiffusionPipeline sdxl;

    @BeforeAll
    static void load() {
        sd = DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(), new PipelineOptions());
        sdxl = DiffusionPipeline.fromPretrained(StableDiffusionXLPipelineTest.checkpoint().toString(),
                new PipelineOptions());
    }

    @AfterAll
    static void close() {
        sd.close();
        sdxl.close();
    }

    /** The keyword of diffusers' __call__ that stands for each group (IMAGE_LATENTS: no keyword of its own). */
    private static final Map<CallArgument, String> KEYWORD = Map.ofEntries(
            Map.entry(CallArgument.PROMPT, "prompt"), Map.entry(CallArgument.NEGATIVE_PROMPT, "negative_prompt"),
            Map.entry(CallArgument.SIZE, "height"), Map.entry(CallArgument.IMAGE, "image"),
            Map.entry(CallArgument.STRENGTH, "strength"), Map.entry(CallArgument.MASK_IMAGE, "mask_image"),
            Map.entry(CallArgument.LATENTS, "latents"), Map.entry(CallArgument.ETA, "eta"),
            Map.entry(CallArgument.GUIDANCE_RESCALE, "guidance_rescale"), Map.entry(CallArgument.CLIP_SKIP, "clip_skip"),
            Map.entry(CallArgument.TIMESTEPS, "timesteps"), Map.entry(CallArgument.SIGMAS, "sigmas"),
            Map.entry(CallArgument.ORIGINAL_INFERENCE_STEPS, "original_inference_steps"),
            Map.entry(CallArgument.PROMPT_2, "prompt_2"), Map.entry(CallArgument.MICRO_CONDITIONING, "original_size"),
            Map.entry(CallArgument.PROMPT_3, "prompt_3"),
            Map.entry(CallArgument.MAX_SEQUENCE_LENGTH, "max_sequence_length"),
            Map.entry(CallArgument.DENOISING_END, "denoising_end"),
            Map.entry(CallArgument.DENOISING_START, "denoising_start"),
            Map.entry(CallArgument.AESTHETIC_SCORE, "aesthetic_score"),
            Map.entry(CallArgument.CROSS_ATTENTION_KWARGS, "cross_attention_kwargs"),
            Map.entry(CallArgument.GUIDANCE_SCALE, "guidance_scale"),
            Map.entry(CallArgument.NUM_IMAGES_PER_PROMPT, "num_images_per_prompt"),
            Map.entry(CallArgument.BATCH_SIZE, "batch_size"),
            Map.entry(CallArgument.USE_CLIPPED_MODEL_OUTPUT, "use_clipped_model_output"),
            Map.entry(CallArgument.AUDIO_LENGTH_IN_S, "audio_length_in_s"));

    @Test
    void everyPipelineTakesExactlyTheArgumentsOfItsDiffusersCall() {
        JsonObject signatures = ConfigBase.readJsonObject(DiffusersReferencePipelineTest.referenceDir()
                .resolve("call_signatures.json")).getAsJsonObject("pipelines");
        assertEquals(Set.copyOf(PipelineRegistry.classNames()), signatures.keySet());
        for (String className : PipelineRegistry.classNames()) {
            List<String> keywords = new ArrayList<>();
            for (JsonElement k : signatures.getAsJsonArray(className)) {
                keywords.add(k.getAsString());
            }
            PipelineRegistry.Entry entry = PipelineRegistry.get(className);
            for (Map.Entry<CallArgument, String> group : KEYWORD.entrySet()) {
                assertEquals(keywords.contains(group.getValue()), entry.accepted().contains(group.getKey()),
                        className + " and " + group.getValue() + ": diffusers' __call__ " + keywords);
            }
            // an image given as latents: only StableDiffusionXLImg2ImgPipeline takes it here
            assertEquals(className.equals("StableDiffusionXLImg2ImgPipeline"),
                    entry.accepted().contains(CallArgument.IMAGE_LATENTS), className);
        }
    }

    @Test
    void defaultsComeFromTheClassAndTheCheckpoint() {
        PipelineDefaults text = sd.defaults();
        assertEquals(50, text.numInferenceSteps());
        assertEquals(7.5, text.guidanceScale());
        assertNull(text.strength());
        assertEquals(8 * 8, text.height(), "unet.sample_size 8 * vae_scale_factor 8");
        DiffusionPipeline i2i = sd.pipelineFor(withImage(quick()));
        assertEquals(0.8, i2i.defaults().strength());
        assertNull(i2i.defaults().height(), "image-to-image takes the input image's size");
        assertEquals(1.0, sd.pipelineFor(withMask(quick())).defaults().strength());
        assertEquals(5.0, sdxl.defaults().guidanceScale());
        assertEquals(0.3, sdxl.pipelineFor(withImage(quick())).defaults().strength());
        PipelineDefaults inpaint = sdxl.pipelineFor(withMask(quick())).defaults();
        assertEquals(7.5, inpaint.guidanceScale());
        assertEquals(0.9999, inpaint.strength());
    }

    @Test
    void withDefaultsFillsWhatTheCallLeavesUnset() {
        PipelineCall resolved = sd.withDefaults(new PipelineCall().prompt("a"));
        assertEquals(50, resolved.numInferenceSteps());
        assertEquals(7.5, resolved.guidanceScale());
        assertEquals(64, resolved.height());
        assertNull(resolved.strength());
        assertEquals(3, sd.withDefaults(new PipelineCall().prompt("a").timesteps(new double[] {900, 500, 100}))
                .numInferenceSteps(), "num_inference_steps = len(timesteps)");
        assertEquals(2, sd.withDefaults(new PipelineCall().prompt("a").sigmas(new double[] {14.6, 3.0, 0.0}))
                .numInferenceSteps(), "the last sigma is the final one");
        PipelineCall set = new PipelineCall().prompt("a").numInferenceSteps(7).guidanceScale(2.0).height(32).width(48);
        PipelineCall kept = sd.withDefaults(set);
        assertEquals(List.of(7, 2.0, 32, 48), List.of(kept.numInferenceSteps(), kept.guidanceScale(), kept.height(),
                kept.width()));
        assertNull(set.strength(), "the caller's call is not changed");
        DiffusionPipeline i2i = sd.pipelineFor(withImage(quick()));
        PipelineCall image = i2i.withDefaults(withImage(new PipelineCall().prompt("a")));
        assertEquals(0.8, image.strength());
        assertNull(image.height(), "img2img takes no height");
        assertArrayEquals(new int[] {72, 80}, ((AbstractStableDiffusionPipeline) i2i).outputSize(
                new PipelineCall().image(List.of(new BufferedImage(81, 73, BufferedImage.TYPE_INT_RGB)))),
                "the input's size rounded down to the VAE factor");
    }

    @Test
    void pipelineForPicksTheFamilyMemberOfTheCallsTask() {
        assertSame(sd, sd.pipelineFor(quick()));
        DiffusionPipeline i2i = sd.pipelineFor(withImage(quick()));
        assertInstanceOf(StableDiffusionImg2ImgPipeline.class, i2i);
        assertSame(i2i, sd.pipelineFor(withImage(quick())), "built once");
        assertSame(sd.components().get("unet"), i2i.components().get("unet"), "over the same components");
        assertInstanceOf(StableDiffusionInpaintPipeline.class, sd.pipelineFor(withMask(quick())));
        assertInstanceOf(StableDiffusionXLImg2ImgPipeline.class, sdxl.pipelineFor(withImage(quick())));
        assertInstanceOf(StableDiffusionXLInpaintPipeline.class, sdxl.pipelineFor(withMask(quick())));
        Scheduler euler = Schedulers.create("EulerDiscreteScheduler", sd.scheduler().config());
        Scheduler before = sd.scheduler();
        try {
            sd.setScheduler(euler);
            assertSame(euler, sd.pipelineFor(withImage(quick())).scheduler(), "follows the loaded one's scheduler");
        } finally {
            sd.setScheduler(before);
        }
    }

    @Test
    void anImageCheckpointRunsAsLoadedAndSaysWhatIsMissing() {
        try (DiffusionPipeline refiner = DiffusionPipeline.fromPretrained(DiffusersReferencePipelineTest
                .referenceDir("reference-sdxl").resolve("tiny-sdxl-refiner").toString(), new PipelineOptions())) {
            assertSame(refiner, refiner.pipelineFor(quick()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> refiner.call(quick()));
            assertTrue(e.getMessage().contains("StableDiffusionXLImg2ImgPipeline needs `image`"), e.getMessage());
        }
        try (DiffusionPipeline lcm = DiffusionPipeline.fromPretrained(DiffusersReferencePipelineTest.referenceDir()
                .resolve("tiny-lcm").toString(), new PipelineOptions())) {
            PipelineCall image = withImage(quick());
            assertSame(lcm, lcm.pipelineFor(image), "the lcm family has no image-to-image pipeline here");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> lcm.checkInputs(lcm.withDefaults(image)));
            assertTrue(e.getMessage().startsWith("LatentConsistencyModelPipeline does not take image"),
                    e.getMessage());
        }
    }

    @Test
    void refusedArgumentsNameTheFamilyMembersThatTakeThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sd.checkInputs(quick().strength(0.5)));
        assertEquals("StableDiffusionPipeline does not take strength (its diffusers __call__ has no such argument; "
                + "StableDiffusionImg2ImgPipeline and StableDiffusionInpaintPipeline take it)", e.getMessage());
        DiffusionPipeline i2i = sd.pipelineFor(withImage(quick()));
        e = assertThrows(IllegalArgumentException.class, () -> i2i.checkInputs(withImage(quick()).height(64)));
        assertTrue(e.getMessage().startsWith("StableDiffusionImg2ImgPipeline does not take height"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sd.checkInputs(new PipelineCall()));
        assertEquals("Provide either `prompt` or `prompt_embeds`", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sd.pipelineFor(withMask(quick()))
                .checkInputs(new PipelineCall().prompt("a").maskImage(List.of(new BufferedImage(8, 8, 1)))));
        assertEquals("StableDiffusionInpaintPipeline needs `image`", e.getMessage());
    }

    @Test
    void anInpaintingUnetIsRefusedByTheTextToImagePipeline() {
        try (DiffusionPipeline inpaint = DiffusionPipeline.fromPretrained(DiffusersReferencePipelineTest
                .referenceDir().resolve("tiny-sd-inpaint").toString(), new PipelineOptions());
             StableDiffusionPipeline text = new StableDiffusionPipeline(inpaint.components())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> text.call(quick()));
            assertTrue(e.getMessage().contains("the UNet takes 9"), e.getMessage());
        }
    }

    /**
     * SDXL conditions "no negative prompt" (zeros under force_zeros_for_empty_prompt) differently from "": in one
     * batch, each prompt gets what a call of that prompt alone would give it.
     */
    @Test
    void perPromptNullsAreThatPromptsDefaults() {
        PipelineCall mixed = quick("a red fox", "a blue bird").seeds(11, 12)
                .negativePrompt(Arrays.asList("blurry", null));
        mixed.sdxl(new SdxlArguments().prompt2(Arrays.asList(null, "oil painting")));
        float[] batch = ((ImagePipelineOutput) sdxl.call(mixed)).data();
        PipelineCall first = quick("a red fox").seeds(11).negativePrompt("blurry");
        PipelineCall second = quick("a blue bird").seeds(12);
        second.sdxl(new SdxlArguments().prompt2("oil painting"));
        float[] one = ((ImagePipelineOutput) sdxl.call(first)).data();
        float[] two = ((ImagePipelineOutput) sdxl.call(second)).data();
        float[] singles = Arrays.copyOf(one, one.length + two.length);
        System.arraycopy(two, 0, singles, one.length, two.length);
        double diff = ReferenceCase.maxAbsDiff(singles, batch);
        assertTrue(diff < 1e-4, "batched vs single calls: " + diff);
    }

    private static PipelineCall quick(String... prompts) {
        return PipelineApiTest.quick(prompts.length == 0 ? new String[] {"a"} : prompts);
    }

    private static PipelineCall withImage(PipelineCall call) {
        return call.image(List.of(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB)));
    }

    private static PipelineCall withMask(PipelineCall call) {
        return withImage(call).maskImage(List.of(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB)));
    }

    @Test
    void everyGroupHasADiffusersKeyword() {
        Set<CallArgument> covered = EnumSet.copyOf(KEYWORD.keySet());
        covered.add(CallArgument.IMAGE_LATENTS);
        assertEquals(EnumSet.allOf(CallArgument.class), covered);
    }
}

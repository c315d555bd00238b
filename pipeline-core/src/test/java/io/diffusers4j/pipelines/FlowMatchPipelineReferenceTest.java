// Stable Diffusion 3 and FLUX.1 pipelines vs diffusers 0.30.3: the cases of reference-flow/manifest.json.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.t5.T5EncoderModel;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every pipeline case of {@code reference-flow/manifest.json} (recorded by
 * {@code scripts/reference/gen_flow_pipelines.py}): the text encoders on the recorded token ids, the token ids
 * themselves, the latents after every step (1e-4) and the image (1e-3); the direct VAE cases.
 */
class FlowMatchPipelineReferenceTest {
    private static final Map<String, DiffusionPipeline> PIPES = new HashMap<>();

    static JsonObject manifest() {
        return ConfigBase.readJsonObject(Fixtures.referenceFlow().resolve("manifest.json"));
    }

    static List<String> cases(String kind) {
        List<String> out = new ArrayList<>();
        for (JsonElement c : manifest().getAsJsonArray("cases")) {
            if (c.getAsJsonObject().get("kind").getAsString().equals(kind)) {
                out.add(c.getAsJsonObject().get("name").getAsString());
            }
        }
        return out;
    }

    static List<String> pipelineCases() {
        return cases("pipeline");
    }

    static ReferenceCase referenceCase(String name) {
        for (JsonElement c : manifest().getAsJsonArray("cases")) {
            if (c.getAsJsonObject().get("name").getAsString().equals(name)) {
                return new ReferenceCase(c.getAsJsonObject(), Fixtures.referenceFlow());
            }
        }
        throw new IllegalArgumentException(name);
    }

    /** The case's pipeline, loaded as the recorder loaded it (text_encoder_3=None where it says so). */
    static synchronized DiffusionPipeline pipeline(ReferenceCase c) {
        String checkpoint = c.json().get("checkpoint").getAsString().replace("reference-flow/", "");
        boolean withoutT5 = c.json().get("loaded_with").getAsString().contains("text_encoder_3=None");
        return PIPES.computeIfAbsent(checkpoint + (withoutT5 ? " without T5" : ""), k -> {
            PipelineOptions o = new PipelineOptions();
            if (withoutT5) {
                o.component("text_encoder_3", PipelineOptions.NONE).component("tokenizer_3", PipelineOptions.NONE);
            }
            return DiffusionPipeline.fromPretrained(Fixtures.referenceFlow().resolve(checkpoint).toString(), o);
        });
    }

    @AfterAll
    static void close() {
        PIPES.values().forEach(DiffusionPipeline::close);
        PIPES.clear();
    }

    @ParameterizedTest
    @MethodSource("pipelineCases")
    void textEncodersMatchDiffusersOnTheRecordedIds(String name) {
        ReferenceCase c = referenceCase(name);
        Map<String, Object> components = pipeline(c).components();
        try (NDManager m = NDManager.newBaseManager()) {
            for (JsonElement e : c.json().getAsJsonArray("text_encoder_calls")) {
                JsonObject call = e.getAsJsonObject();
                String component = call.get("component").getAsString();
                Npy.Array ids = npy(call.get("input_ids").getAsString());
                NDArray input = m.create(ids.longs(), new Shape(ids.shape()));
                Npy.Array expected = npy(call.get("output0").getAsString());
                Object encoder = components.get(component);
                NDArray out;
                if (encoder instanceof T5EncoderModel t5) {
                    out = t5.forward(input);
                } else {
                    CLIPTextOutput clip = ((CLIPTextEncoder) encoder).forward(input, null, false);
                    // output[0]: text_embeds of CLIPTextModelWithProjection, last_hidden_state of CLIPTextModel
                    out = clip.textEmbeds() != null ? clip.textEmbeds() : clip.lastHiddenState();
                }
                double diff = ReferenceCase.maxAbsDiff(expected.floats(), out.toType(DataType.FLOAT32, false)
                        .toFloatArray());
                assertTrue(diff < 1e-4, name + " " + component + " call " + call.get("call") + ": " + diff);
            }
        }
    }

    /**
     * The case's call as diffusers ran it: where the case leaves max_sequence_length to diffusers' FLUX default
     * (512), that value, since Diffusers4J's default for a checkpoint without guidance embedding is 256.
     */
    static PipelineCall diffusersCall(ReferenceCase c, DiffusionPipeline pipe) {
        PipelineCall call = c.arguments(pipe);
        if (pipe instanceof FluxPipeline && call.maxSequenceLength() == null) {
            call.maxSequenceLength(FluxPipeline.DEFAULT_MAX_SEQUENCE_LENGTH);
        }
        return call;
    }

    @ParameterizedTest
    @MethodSource("pipelineCases")
    void everyStepAndTheImageMatchDiffusers(String name) {
        ReferenceCase c = referenceCase(name);
        DiffusionPipeline pipe = pipeline(c);
        ImagePipelineOutput out = (ImagePipelineOutput) pipe.call(diffusersCall(c, pipe));
        double[] steps = c.stepDiffs(c.file("step_latents"));
        System.out.printf("%s: per-step latents max abs diff %s%n", name, Arrays.toString(steps));
        for (int i = 0; i < steps.length; i++) {
            assertTrue(steps[i] < 1e-4, name + " step " + i + ": " + steps[i]);
        }
        Npy.Array image = c.file("image");
        assertArrayEquals(image.shape(), out.shape(), name + " image shape");
        double diff = ReferenceCase.maxAbsDiff(image.floats(), out.data());
        System.out.printf("%s: image max abs diff %.3g%n", name, diff);
        assertTrue(diff < 1e-3, name + " image: " + diff);
    }

    @ParameterizedTest
    @MethodSource("pipelineCases")
    void theSchedulerTablesAreDiffusers(String name) {
        ReferenceCase c = referenceCase(name);
        DiffusionPipeline pipe = pipeline(c);
        List<double[]> seen = new ArrayList<>();
        PipelineCall call = diffusersCall(c, pipe).outputType("latent");
        call.callbackOnStepEnd((i, t, latents) -> {
            seen.add(new double[] {t});
            return latents;
        });
        pipe.call(call);
        float[] expected = c.file("scheduler_timesteps").floats();
        assertEquals(expected.length, seen.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], seen.get(i)[0], 1e-4, name + " timestep " + i);
        }
    }

    @Test
    void defaultsAreThePipelinesAndTheCheckpoints() {
        DiffusionPipeline sd3 = pipeline(referenceCase("s1_sd3_negative_default_size"));
        PipelineDefaults d = sd3.defaults();
        assertEquals(List.of(28, 7.0, 32, 32, 256), List.of(d.numInferenceSteps(), d.guidanceScale(), d.height(),
                d.width(), d.maxSequenceLength()));
        assertNull(d.strength());
        DiffusionPipeline schnell = pipeline(referenceCase("f1_flux_schnell_64"));
        PipelineDefaults s = schnell.defaults();
        assertEquals(List.of(4, 0.0, 256, 256, 256), List.of(s.numInferenceSteps(), s.guidanceScale(), s.height(),
                s.width(), s.maxSequenceLength()), "schnell: its model card's settings; 64 * vae_scale_factor 4");
        DiffusionPipeline dev = pipeline(referenceCase("f2_flux_dev_guidance_dynamic_shift"));
        PipelineDefaults v = dev.defaults();
        assertEquals(List.of(28, 7.0, 512), List.of(v.numInferenceSteps(), v.guidanceScale(),
                v.maxSequenceLength()), "a guidance-embedding checkpoint: diffusers' __call__ defaults");
    }

    @Test
    void savePretrainedWritesWhatFromPretrainedLoads(@TempDir Path tmp) throws IOException {
        for (String name : List.of("s3_sd3_no_cfg_nipp2", "f2_flux_dev_guidance_dynamic_shift")) {
            ReferenceCase c = referenceCase(name);
            DiffusionPipeline pipe = pipeline(c);
            Path saved = tmp.resolve(name);
            pipe.savePretrained(saved, null);
            String index = Files.readString(saved.resolve("model_index.json"));
            assertTrue(index.contains("\"T5EncoderModel\"") && index.contains("\"T5TokenizerFast\""), index);
            assertTrue(Files.isRegularFile(saved.resolve(pipe instanceof FluxPipeline ? "text_encoder_2" : "text_encoder_3")
                    .resolve("model.safetensors")), "a transformers model keeps transformers' file name");
            try (DiffusionPipeline reloaded = DiffusionPipeline.fromPretrained(saved.toString(), new PipelineOptions())) {
                PipelineCall call = diffusersCall(c, reloaded);
                float[] image = ((ImagePipelineOutput) reloaded.call(call)).data();
                double diff = ReferenceCase.maxAbsDiff(c.file("image").floats(), image);
                assertTrue(diff < 1e-3, name + " after save / load: " + diff);
            }
        }
    }

    @Test
    void theVaesDecodeAndEncodeAsDiffusers() {
        for (String name : cases("model")) {
            if (!name.startsWith("vae_")) {
                continue;
            }
            ReferenceCase c = referenceCase(name);
            String checkpoint = name.equals("vae_sd3") ? "s1_sd3_negative_default_size" : "f1_flux_schnell_64";
            VaeModel vae = (VaeModel) pipeline(referenceCase(checkpoint)).components().get("vae");
            try (NDManager m = NDManager.newBaseManager()) {
                Npy.Array z = c.file("decode_latents");
                NDArray decoded = vae.decode(m.create(z.floats(), new Shape(z.shape())));
                double diff = ReferenceCase.maxAbsDiff(c.file("decode_sample").floats(), decoded.toFloatArray());
                assertTrue(diff < 1e-4, name + " decode: " + diff);
            }
        }
    }

    private static Npy.Array npy(String relative) {
        try {
            return Npy.read(Fixtures.referenceFlow().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

// Runs a whole-pipeline case described by a diffusers reference manifest entry and compares with its arrays.
package io.diffusers4j.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import ai.djl.ndarray.NDArray;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.SdxlArguments;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.function.IntConsumer;
import javax.imageio.ImageIO;

/**
 * A manifest case: {@code call} (diffusers kwargs), {@code generator} ({@code seed} or {@code seeds}),
 * {@code scheduler} ({@code class}, {@code overrides}). {@link #run} executes it on a pipeline and records the latents
 * after every step; the assertions compare each step and the image with the reference arrays.
 */
public final class ReferenceCase {
    /** Holds input tensors given to pipeline calls (small; lives as long as the test JVM). */
    private static final NDManager INPUTS = NDManager.newBaseManager();
    private final JsonObject json;
    /** Folder that {@code $png} / {@code $npy} paths are relative to. */
    private final Path base;
    private final List<float[]> stepLatents = new ArrayList<>();

    public ReferenceCase(JsonObject json) {
        this(json, null);
    }

    public ReferenceCase(JsonObject json, Path base) {
        this.json = json;
        this.base = base;
    }

    public JsonObject json() {
        return json;
    }

    public String name() {
        return json.get("name").getAsString();
    }

    public JsonObject call() {
        return json.getAsJsonObject("call");
    }

    public List<float[]> stepLatents() {
        return stepLatents;
    }

    /** The scheduler the case names, built from the pipeline's scheduler config with its overrides. */
    public Scheduler scheduler(DiffusionPipeline pipe) {
        JsonObject s = json.getAsJsonObject("scheduler");
        List<String> overrides = new ArrayList<>();
        if (s.has("overrides")) {
            for (Map.Entry<String, JsonElement> e : s.getAsJsonObject("overrides").entrySet()) {
                JsonElement v = e.getValue();
                overrides.add(e.getKey() + "=" + (v.isJsonPrimitive() ? v.getAsString() : v.toString()));
            }
        }
        return Schedulers.create(s.get("class").getAsString(), pipe.scheduler().config(), overrides);
    }

    /** The call arguments of the case (prompt, negative_prompt, steps, guidance, size, eta, generators...). */
    public PipelineCall arguments(DiffusionPipeline pipe) {
        JsonObject c = call();
        String outputType = c.has("output_type") ? c.get("output_type").getAsString()
                : json.has("output_type") ? json.get("output_type").getAsString() : "np";
        PipelineCall a = new PipelineCall().prompt(strings(c.get("prompt"))).outputType(outputType);
        if (c.has("image") && c.getAsJsonObject("image").has("$npy")) {
            Npy.Array l = npyInput(c.getAsJsonObject("image"));
            a.sdxl().imageLatents(INPUTS.create(l.floats(), new Shape(l.shape())));
        } else if (c.has("image")) {
            a.image(List.of(png(c.getAsJsonObject("image"))));
        }
        if (c.has("mask_image")) {
            a.maskImage(List.of(png(c.getAsJsonObject("mask_image"))));
        }
        if (c.has("latents")) {
            Npy.Array l = npyInput(c.getAsJsonObject("latents"));
            a.latents(INPUTS.create(l.floats(), new Shape(l.shape())));
        }
        if (c.has("negative_prompt")) {
            a.negativePrompt(strings(c.get("negative_prompt")));
        }
        ifInt(c, "num_inference_steps", a::numInferenceSteps);
        ifInt(c, "original_inference_steps", a::originalInferenceSteps);
        ifDouble(c, "guidance_scale", a::guidanceScale);
        ifInt(c, "height", a::height);
        ifInt(c, "width", a::width);
        ifDouble(c, "eta", a::eta);
        ifInt(c, "num_images_per_prompt", a::numImagesPerPrompt);
        ifInt(c, "clip_skip", a::clipSkip);
        ifDouble(c, "guidance_rescale", a::guidanceRescale);
        ifDouble(c, "strength", a::strength);
        ifDoubles(c, "timesteps", a::timesteps);
        ifDoubles(c, "sigmas", a::sigmas);
        if (c.has("cross_attention_kwargs")) {
            a.loraScale(c.getAsJsonObject("cross_attention_kwargs").get("scale").getAsDouble());
        }
        sdxlArguments(c, a.sdxl());
        if (c.has("prompt_3")) {
            a.prompt3(strings(c.get("prompt_3")));
        }
        if (c.has("negative_prompt_3")) {
            a.negativePrompt3(strings(c.get("negative_prompt_3")));
        }
        if (c.has("max_sequence_length")) {
            a.maxSequenceLength(c.get("max_sequence_length").getAsInt());
        }
        a.generators(generators(json.getAsJsonObject("generator")));
        if (json.has("scheduler")) { // a case that swaps the checkpoint's scheduler
            a.scheduler(scheduler(pipe));
        }
        a.callbackOnStepEnd(this::recordStep);
        return a;
    }

    /**
     * The call arguments of an unconditional case (DDPM, DDIM, Dance Diffusion): batch_size, steps, eta,
     * use_clipped_model_output, audio_length_in_s, output_type and the generators; the step samples are recorded
     * like {@link #arguments}' latents.
     */
    public PipelineCall unconditionalArguments() {
        JsonObject c = call();
        PipelineCall a = new PipelineCall().outputType(c.has("output_type") ? c.get("output_type").getAsString()
                : "np");
        if (c.has("batch_size")) {
            a.batchSize(c.get("batch_size").getAsInt());
        }
        ifInt(c, "num_inference_steps", a::numInferenceSteps);
        ifDouble(c, "eta", a::eta);
        ifDouble(c, "audio_length_in_s", a::audioLengthInS);
        if (c.has("use_clipped_model_output")) {
            a.useClippedModelOutput(c.get("use_clipped_model_output").getAsBoolean());
        }
        a.generators(generators(json.getAsJsonObject("generator")));
        a.callbackOnStepEnd(this::recordStep);
        return a;
    }

    private static void ifInt(JsonObject c, String key, IntConsumer set) {
        if (c.has(key)) {
            set.accept(c.get(key).getAsInt());
        }
    }

    private static void ifDouble(JsonObject c, String key, DoubleConsumer set) {
        if (c.has(key)) {
            set.accept(c.get(key).getAsDouble());
        }
    }

    private static void ifDoubles(JsonObject c, String key, Consumer<double[]> set) {
        if (c.has(key)) {
            JsonArray values = c.getAsJsonArray(key);
            double[] out = new double[values.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = values.get(i).getAsDouble();
            }
            set.accept(out);
        }
    }

    private NDArray recordStep(int i, double t, NDArray latents) {
        stepLatents.add(latents.toType(DataType.FLOAT32, false).toFloatArray());
        return latents;
    }

    /** The SDXL pipelines' extra kwargs. */
    private static void sdxlArguments(JsonObject c, SdxlArguments x) {
        if (c.has("prompt_2")) {
            x.prompt2(strings(c.get("prompt_2")));
        }
        if (c.has("negative_prompt_2")) {
            x.negativePrompt2(strings(c.get("negative_prompt_2")));
        }
        if (c.has("denoising_end")) {
            x.denoisingEnd(c.get("denoising_end").getAsDouble());
        }
        if (c.has("denoising_start")) {
            x.denoisingStart(c.get("denoising_start").getAsDouble());
        }
        if (c.has("aesthetic_score")) {
            x.aestheticScore(c.get("aesthetic_score").getAsDouble());
        }
        if (c.has("negative_aesthetic_score")) {
            x.negativeAestheticScore(c.get("negative_aesthetic_score").getAsDouble());
        }
        Map<String, BiConsumer<Integer, Integer>> sizes = Map.of(
                "original_size", x::originalSize, "crops_coords_top_left", x::cropsCoordsTopLeft,
                "target_size", x::targetSize, "negative_original_size", x::negativeOriginalSize,
                "negative_crops_coords_top_left", x::negativeCropsCoordsTopLeft,
                "negative_target_size", x::negativeTargetSize);
        sizes.forEach((key, setter) -> {
            if (c.has(key)) {
                JsonArray a = c.getAsJsonArray(key);
                setter.accept(a.get(0).getAsInt(), a.get(1).getAsInt());
            }
        });
    }

    private BufferedImage png(JsonObject ref) {
        try {
            return ImageIO.read(base.resolve(ref.get("$png").getAsString()).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Npy.Array npyInput(JsonObject ref) {
        try {
            return Npy.read(base.resolve(ref.get("$npy").getAsString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A reference array named in the case's {@code files}. */
    public Npy.Array file(String key) {
        try {
            return Npy.read(base.resolve(json.getAsJsonObject("files").getAsJsonObject(key).get("file").getAsString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean hasFile(String key) {
        return json.has("files") && json.getAsJsonObject("files").has(key);
    }

    static List<TorchGenerator> generators(JsonObject g) {
        List<TorchGenerator> out = new ArrayList<>();
        if (g == null) {
            return out;
        }
        if (g.has("seeds")) {
            for (JsonElement s : g.getAsJsonArray("seeds")) {
                out.add(new TorchGenerator(s.getAsLong()));
            }
        } else if (g.has("seed")) {
            out.add(new TorchGenerator(g.get("seed").getAsLong()));
        }
        return out;
    }

    static List<String> strings(JsonElement e) {
        List<String> out = new ArrayList<>();
        if (e == null || e.isJsonNull()) {
            return out;
        }
        if (e.isJsonArray()) {
            for (JsonElement x : (JsonArray) e) {
                out.add(x.getAsString());
            }
        } else {
            out.add(e.getAsString());
        }
        return out;
    }

    /** Max |a - b| over two equally long arrays. */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Per-step max abs diffs against {@code step_latents.npy} ([steps, B, C, h, w]). */
    public double[] stepDiffs(Npy.Array expected) {
        float[] all = expected.floats();
        int steps = (int) expected.shape()[0];
        int per = all.length / steps;
        if (stepLatents.size() != steps) {
            throw new AssertionError(name() + ": " + stepLatents.size() + " steps run, reference has " + steps);
        }
        double[] out = new double[steps];
        for (int k = 0; k < steps; k++) {
            float[] want = Arrays.copyOfRange(all, k * per, (k + 1) * per);
            out[k] = maxAbsDiff(want, stepLatents.get(k));
        }
        return out;
    }

}

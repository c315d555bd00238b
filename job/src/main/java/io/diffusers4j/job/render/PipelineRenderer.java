// The production Renderer: one batched StableDiffusionPipeline call per micro-batch, one generator per image.
package io.diffusers4j.job.render;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.diffusers4j.pipelines.AbstractStableDiffusionPipeline;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.job.rows.CustomSchedule;
import io.diffusers4j.pipelines.LatentConsistencyModelCall;
import io.diffusers4j.pipelines.LatentConsistencyModelPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.pipelines.SdxlArguments;
import io.diffusers4j.pipelines.StableDiffusionCall;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.pipelines.StableDiffusionXLPipeline;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.utils.TorchGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders with {@link StableDiffusionPipeline} or {@link StableDiffusionXLPipeline}: a micro-batch becomes one call
 * with one prompt per image
 * ({@code num_images_per_prompt=1}) and a generator list {@code [TorchGenerator(seed_0), ...]}, so each image is
 * drawn exactly as the single call {@code prompt=p, seed=s} would draw it. Negative prompts are per image; a
 * missing one is "" (what diffusers uses for {@code negative_prompt=None}). SDXL instead zeroes the negative
 * conditioning of {@code negative_prompt=None} ({@code force_zeros_for_empty_prompt}), so there a micro-batch that
 * mixes rows with and without a negative prompt is rendered as two calls; SDXL's {@code prompt_2} /
 * {@code negative_prompt_2} are per image too (diffusers' defaults, the prompt and negative prompt, for images
 * that set none). A custom schedule ({@code timesteps} / {@code sigmas}) is per call, part of {@link RenderSettings}.
 */
public final class PipelineRenderer implements Renderer {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineRenderer.class);

    private final AbstractStableDiffusionPipeline sd;
    /** The pipeline fromPretrained loaded (sd itself, or the LCM pipeline whose components sd shares). */
    private final DiffusionPipeline loaded;
    private final String schedulerName;
    private final int defaultSteps;
    private final double defaultGuidance;

    PipelineRenderer(AbstractStableDiffusionPipeline sd, DiffusionPipeline loaded) {
        this.sd = sd;
        this.loaded = loaded;
        this.schedulerName = sd.scheduler().className();
        // the loaded pipeline's __call__ defaults (an LCM keeps its own though sd renders it)
        this.defaultSteps = loaded instanceof LatentConsistencyModelPipeline
                ? LatentConsistencyModelCall.DEFAULT_NUM_INFERENCE_STEPS : new StableDiffusionCall().numInferenceSteps();
        this.defaultGuidance = loaded instanceof AbstractStableDiffusionPipeline p ? p.defaultGuidanceScale()
                : sd.defaultGuidanceScale();
    }

    /**
     * The text-to-image pipeline the job renders with: the loaded StableDiffusionPipeline or StableDiffusionXLPipeline
     * or, for a latent consistency model, diffusers' {@code StableDiffusionPipeline(**lcm.components)}: it conditions
     * the LCM UNet on
     * {@code guidance_scale - 1} without a CFG batch and runs its LCMScheduler, which gives the LCM pipeline's image
     * for the same steps and guidance (negative prompts are not used, as in diffusers); null for anything else.
     */
    static AbstractStableDiffusionPipeline textToImage(DiffusionPipeline p) {
        if (p instanceof StableDiffusionPipeline || p instanceof StableDiffusionXLPipeline) {
            return (AbstractStableDiffusionPipeline) p;
        }
        if (p instanceof LatentConsistencyModelPipeline lcm) {
            return new StableDiffusionPipeline(lcm.components());
        }
        return null;
    }

    /** Builds the pipeline of a spec (the default {@link RendererFactory}). */
    public static final class Factory implements RendererFactory {
        @Override
        public Renderer create(PipelineSpec spec, String device) {
            String model = spec.model() == null ? TinyPipeline.defaultModel().toString() : spec.model();
            PipelineOptions options = new PipelineOptions()
                    .dtype(spec.dtype())
                    .device(djlDevice(device))
                    .variant(spec.variant())
                    .revision(spec.revision())
                    .localFilesOnly(spec.option("local-files-only", false));
            if (spec.options().containsKey("use-safetensors")) {
                options.useSafetensors(spec.option("use-safetensors", true));
            }
            if (spec.options().containsKey("custom-pipeline")) {
                options.customPipeline(spec.options().get("custom-pipeline"));
            }
            JvmSettings.torchThreadsBeforeEngine(spec.torchThreads());
            DiffusionPipeline pipeline = DiffusionPipeline.fromPretrained(model, options);
            JvmSettings.torchThreadsOnEngine(spec.torchThreads());
            AbstractStableDiffusionPipeline sd = textToImage(pipeline);
            if (sd == null) {
                String kind = pipeline.getClass().getSimpleName();
                pipeline.close();
                throw new IllegalArgumentException("model " + spec.modelName() + " loads a " + kind
                        + "; the job renders text-to-image with a StableDiffusionPipeline or StableDiffusionXLPipeline");
            }
            if (spec.scheduler() != null && !spec.scheduler().equals(sd.scheduler().className())) {
                sd.setScheduler(createScheduler(spec.scheduler(), sd));
            }
            return new PipelineRenderer(sd, pipeline);
        }
    }

    /**
     * On the driver, before any task runs: a local model folder's model_index.json, component classes and configs
     * are checked (JSON only, no weights), so a broken checkpoint fails the run at once with the file and key
     * (exit code 2) instead of failing every task attempt on the executors. Hub ids and test renderers are left
     * to the executors.
     */
    public static void checkModelOnDriver(PipelineSpec spec) {
        if (spec.model() == null || !spec.renderer().equals(PipelineSpec.DEFAULT_RENDERER)
                || !java.nio.file.Files.isDirectory(java.nio.file.Path.of(spec.model()))) {
            return;
        }
        PipelineOptions options = new PipelineOptions().variant(spec.variant());
        if (spec.options().containsKey("custom-pipeline")) {
            options.customPipeline(spec.options().get("custom-pipeline"));
        }
        DiffusionPipeline.checkPretrained(java.nio.file.Path.of(spec.model()), options);
    }

    static Device djlDevice(String device) {
        if (device.startsWith("gpu:")) {
            int gpus = Engine.getInstance().getGpuCount();
            if (gpus > 0) {
                return Device.gpu(Integer.parseInt(device.substring(4)));
            }
            LOG.warn("Spark assigned {} to this task but the PyTorch engine sees no GPU (CPU-only libtorch?); "
                    + "rendering on CPU. Point PYTORCH_LIBRARY_PATH at a CUDA libtorch (see job/README.md).", device);
        }
        return Device.cpu();
    }

    /**
     * A scheduler by diffusers class name or web UI name ({@link Schedulers#resolve}), configured from the
     * pipeline's scheduler config (diffusers' {@code XScheduler.from_config(pipe.scheduler.config)}).
     */
    static Scheduler createScheduler(String name, AbstractStableDiffusionPipeline sd) {
        return Schedulers.create(name, sd.scheduler().config());
    }

    @Override
    public int vaeScaleFactor() {
        return sd.vaeScaleFactor();
    }

    @Override
    public int defaultWidth() {
        return sd.defaultWidth();
    }

    @Override
    public int defaultHeight() {
        return sd.defaultHeight();
    }

    @Override
    public String schedulerName() {
        return schedulerName;
    }

    @Override
    public int defaultNumInferenceSteps() {
        return defaultSteps;
    }

    @Override
    public double defaultGuidanceScale() {
        return defaultGuidance;
    }

    @Override
    public boolean takesSecondPrompts() {
        return sd instanceof StableDiffusionXLPipeline;
    }

    @Override
    public String pipelineName() {
        return loaded.getClass().getSimpleName();
    }

    @Override
    public List<BufferedImage> render(RenderSettings s, List<ImageRequest> images) {
        List<ImageRequest> without = images.stream().filter(r -> r.negativePrompt() == null).toList();
        if (!(sd instanceof StableDiffusionXLPipeline) || without.isEmpty() || without.size() == images.size()) {
            return renderBatch(s, images);
        }
        List<ImageRequest> with = images.stream().filter(r -> r.negativePrompt() != null).toList();
        java.util.Iterator<BufferedImage> a = renderBatch(s, with).iterator();
        java.util.Iterator<BufferedImage> b = renderBatch(s, without).iterator();
        List<BufferedImage> out = new ArrayList<>(images.size());
        for (ImageRequest r : images) {
            out.add(r.negativePrompt() != null ? a.next() : b.next());
        }
        return out;
    }

    private List<BufferedImage> renderBatch(RenderSettings s, List<ImageRequest> images) {
        List<String> prompts = new ArrayList<>(images.size());
        List<String> negatives = new ArrayList<>(images.size());
        List<String> prompts2 = new ArrayList<>(images.size());
        List<String> negatives2 = new ArrayList<>(images.size());
        List<TorchGenerator> generators = new ArrayList<>(images.size());
        boolean anyNegative = false;
        boolean anySecond = false;
        for (ImageRequest r : images) {
            prompts.add(r.prompt());
            negatives.add(r.negativePrompt() == null ? "" : r.negativePrompt());
            // diffusers' per-call defaults, per image: prompt_2 = prompt, negative_prompt_2 = negative_prompt
            prompts2.add(r.prompt2() != null ? r.prompt2() : r.prompt());
            negatives2.add(r.negativePrompt2() != null ? r.negativePrompt2() : negatives.get(negatives.size() - 1));
            anyNegative |= r.negativePrompt() != null;
            anySecond |= r.hasSecondPrompts();
            generators.add(new TorchGenerator(r.seed()));
        }
        StableDiffusionCall call = new StableDiffusionCall()
                .prompt(prompts)
                .negativePrompt(anyNegative ? negatives : null)
                .numInferenceSteps(s.numInferenceSteps())
                .guidanceScale(s.guidanceScale())
                .width(s.width())
                .height(s.height())
                .numImagesPerPrompt(1)
                .generators(generators)
                .timesteps(CustomSchedule.toArray(s.timesteps()))
                .sigmas(CustomSchedule.toArray(s.sigmas()))
                .outputType("pil")
                .progress(ProgressListener.NONE);
        if (anySecond) {
            call.sdxl(new SdxlArguments().prompt2(prompts2).negativePrompt2(negatives2));
        }
        if (s.scheduler() != null && !s.scheduler().equals(schedulerName)) {
            call.scheduler(createScheduler(s.scheduler(), sd));
        }
        ImagePipelineOutput out = sd.call(call);
        checkFinite(out, images);
        return out.images();
    }

    /**
     * Refuses images with NaN pixels: diffusers would hand them on (8-bit conversion turns NaN into black), a job
     * must not record a black square as an ok image. NaN survives the pipeline's clamp to [0, 1]; it comes from
     * latents that diverged (float16 overflow, broken weights, a guidance too large for float32).
     */
    static void checkFinite(ImagePipelineOutput out, List<ImageRequest> images) {
        float[] data = out.data();
        int n = out.count();
        int per = data.length / Math.max(1, n);
        List<Long> bad = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = i * per; j < (i + 1) * per; j++) {
                if (!Float.isFinite(data[j])) {
                    bad.add(images.get(i).seed());
                    break;
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalStateException("the pipeline produced non-finite (NaN) pixel values for " + bad.size()
                    + " of " + n + " images (seeds " + bad + "): the latents diverged (float16 overflow, broken "
                    + "weights or a guidance too large); no image is written for them");
        }
    }

    @Override
    public void close() {
        sd.close();
        if (loaded != sd) {
            loaded.close();
        }
    }
}

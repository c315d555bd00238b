// The production Renderer: one batched pipeline call per micro-batch, one generator per image.
package io.diffusers4j.job.render;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.job.rows.CustomSchedule;
import io.diffusers4j.pipelines.AudioPipelineOutput;
import io.diffusers4j.pipelines.CallArgument;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.PipelineOutput;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.pipelines.SdxlArguments;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.schedulers.Schedulers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders with the pipeline the checkpoint names, asking it everything: a micro-batch becomes one call with one
 * prompt per image ({@code num_images_per_prompt=1}) and a generator list {@code [TorchGenerator(seed_0), ...]}, so
 * each image is drawn exactly as the single call {@code prompt=p, seed=s} would draw it. Per-image values that
 * diffusers takes per call are passed per prompt: a missing negative prompt, {@code prompt_2},
 * {@code negative_prompt_2}, {@code prompt_3} or {@code negative_prompt_3} is a null entry, which the pipeline treats
 * as that prompt's default (for SDXL under {@code force_zeros_for_empty_prompt}, zeros for no negative prompt, as a
 * single call would). Each row's settings
 * are resolved and checked by the pipeline ({@link DiffusionPipeline#withDefaults}, {@link DiffusionPipeline#checkInputs});
 * a refusal is that row's error. A pipeline that draws {@code batch_size} samples without a prompt (DDPM, DDIM, Dance
 * Diffusion) gets rows without a prompt as {@code batch_size = n} with one generator per sample; a row with a prompt
 * there is refused by the pipeline's own check ({@code DDPMPipeline does not take prompt}). An audio pipeline's
 * clips come back as {@link AudioClip}s ({@link #renderItems}).
 */
public final class PipelineRenderer implements Renderer {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineRenderer.class);

    /** LoRAs kept loaded per pipeline when the spec does not say ({@code lora-cache-size}). */
    public static final int DEFAULT_LORA_CACHE_SIZE = 8;

    private final DiffusionPipeline pipeline;
    private final String schedulerName;
    private final AdapterState adapters;

    PipelineRenderer(DiffusionPipeline pipeline, int loraCacheSize, HubOptions adapterHub) {
        this.pipeline = pipeline;
        this.schedulerName = pipeline.scheduler().className();
        this.adapters = new AdapterState(pipeline, loraCacheSize, adapterHub);
    }

    /** Builds the pipeline of a spec (the default {@link RendererFactory}). */
    public static final class Factory implements RendererFactory {
        @Override
        public Renderer create(PipelineSpec spec, String device) {
            String model = spec.model() == null ? TinyPipeline.defaultModel().toString() : spec.model();
            PipelineOptions options = spec.loadingOptions().dtype(spec.dtype()).device(djlDevice(device))
                    .vae(spec.options().get("vae"));
            if (spec.options().containsKey("text-embedding-cache")) {
                options.textEmbeddingCache(Integer.parseInt(spec.options().get("text-embedding-cache")));
            }
            JvmSettings.torchThreadsBeforeEngine(spec.torchThreads());
            DiffusionPipeline pipeline = DiffusionPipeline.fromPretrained(model, options);
            JvmSettings.torchThreadsOnEngine(spec.torchThreads());
            try {
                if (spec.scheduler() != null) {
                    pipeline.setScheduler(Schedulers.create(spec.scheduler(), pipeline.scheduler().config()));
                }
                // adapters named by Hub id: the model's offline setting, not its revision; HF_TOKEN as for the model
                HubOptions adapterHub = HubOptions.builder()
                        .localFilesOnly(spec.option("local-files-only", false) ? Boolean.TRUE : null).build();
                return new PipelineRenderer(pipeline, spec.loraCacheSize(), adapterHub);
            } catch (RuntimeException e) {
                pipeline.close();
                throw e;
            }
        }
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

    @Override
    public RenderSettings resolve(RenderSettings requested, ImageRequest image) {
        PipelineCall call = call(requested, List.of(image)).width(requested.width()).height(requested.height());
        DiffusionPipeline runs = pipeline.pipelineFor(call);
        PipelineCall resolved = runs.withDefaults(call);
        runs.checkInputs(resolved);
        if (runs.task().producesAudio()) { // outputSize is (channels, samples): no picture size to record
            return requested.with(resolved.numInferenceSteps(), resolved.guidanceScale(), null, null,
                    resolved.maxSequenceLength());
        }
        int[] size = runs.outputSize(resolved);
        return requested.with(resolved.numInferenceSteps(), resolved.guidanceScale(), size[1], size[0],
                resolved.maxSequenceLength());
    }

    @Override
    public String schedulerName() {
        return schedulerName;
    }

    @Override
    public String pipelineName() {
        return pipeline.className();
    }

    @Override
    public Prepared prepare(AdapterSet set) {
        return adapters.prepare(set);
    }

    AdapterState adapters() {
        return adapters;
    }

    /** Adapter set switches and adapter file loads of this renderer so far. */
    long[] adapterCounts() {
        return adapters.counts();
    }

    @Override
    public List<BufferedImage> render(RenderSettings settings, List<ImageRequest> images) {
        List<BufferedImage> out = new ArrayList<>(images.size());
        for (Rendered item : renderItems(settings, images)) {
            if (item.image() == null) {
                throw new IllegalStateException(pipeline.className() + " returned audio, not images");
            }
            out.add(item.image());
        }
        return out;
    }

    @Override
    public List<Rendered> renderItems(RenderSettings settings, List<ImageRequest> images) {
        PipelineCall call = call(settings, images);
        PipelineOutput out;
        try (AdapterState.Lease ignored = adapters.use(settings.adapters(), prompts(images))) {
            out = pipeline.pipelineFor(call).call(call);
        }
        List<Rendered> items = new ArrayList<>(images.size());
        if (out instanceof AudioPipelineOutput audio) {
            checkFinite(audio.data(), audio.count(), images, "audio sample");
            for (int i = 0; i < audio.count(); i++) {
                items.add(Rendered.of(new AudioClip(audio.audio(i), audio.channels(), audio.sampleRate())));
            }
            return items;
        }
        if (!(out instanceof ImagePipelineOutput imageOutput)) {
            throw new IllegalStateException(pipeline.className() + " returned " + out.getClass().getSimpleName()
                    + ", not images or audio");
        }
        checkFinite(imageOutput, images);
        for (BufferedImage image : imageOutput.images()) {
            items.add(Rendered.of(image));
        }
        return items;
    }

    /** Every prompt text of {@code images} (prompts, negative prompts, SDXL's second ones, SD3's third ones). */
    private static List<String> prompts(List<ImageRequest> images) {
        List<String> out = new ArrayList<>(images.size() * 6);
        for (ImageRequest r : images) {
            out.add(r.prompt());
            out.add(r.negativePrompt());
            out.add(r.prompt2());
            out.add(r.negativePrompt2());
            out.add(r.prompt3());
            out.add(r.negativePrompt3());
        }
        return out;
    }

    /** One call for {@code images}: their prompts, negative prompts and seeds, the shared settings. */
    private PipelineCall call(RenderSettings settings, List<ImageRequest> images) {
        List<String> prompts = new ArrayList<>(images.size());
        List<String> negatives = new ArrayList<>(images.size());
        List<String> prompts2 = new ArrayList<>(images.size());
        List<String> negatives2 = new ArrayList<>(images.size());
        List<String> prompts3 = new ArrayList<>(images.size());
        List<String> negatives3 = new ArrayList<>(images.size());
        long[] seeds = new long[images.size()];
        boolean anyNegative = false;
        boolean anySecond = false;
        boolean anyPrompt3 = false;
        boolean anyNegative3 = false;
        for (int i = 0; i < images.size(); i++) {
            ImageRequest r = images.get(i);
            prompts.add(r.prompt());
            negatives.add(r.negativePrompt());
            prompts2.add(r.prompt2());
            negatives2.add(r.negativePrompt2());
            prompts3.add(r.prompt3());
            negatives3.add(r.negativePrompt3());
            anyNegative |= r.negativePrompt() != null;
            anySecond |= r.hasSecondPrompts();
            anyPrompt3 |= r.prompt3() != null;
            anyNegative3 |= r.negativePrompt3() != null;
            seeds[i] = r.seed();
        }
        // rows without a prompt, on a pipeline that draws batch_size samples: one sample per row
        boolean unconditional = prompts.stream().allMatch(p -> p == null)
                && pipeline.acceptedArguments().contains(CallArgument.BATCH_SIZE);
        PipelineCall call = new PipelineCall().prompt(unconditional ? List.of() : prompts)
                .batchSize(unconditional ? images.size() : null)
                .negativePrompt(anyNegative ? negatives : null)
                .numInferenceSteps(settings.numInferenceSteps()).guidanceScale(settings.guidanceScale())
                .numImagesPerPrompt(1).seeds(seeds)
                .timesteps(CustomSchedule.toArray(settings.timesteps()))
                .sigmas(CustomSchedule.toArray(settings.sigmas())).audioLengthInS(settings.audioLengthInS())
                .maxSequenceLength(settings.maxSequenceLength())
                .outputType(pipeline.task().producesAudio() ? "np" : "pil").progress(ProgressListener.NONE);
        if (pipeline.acceptedArguments().contains(CallArgument.SIZE)) {
            // resolved settings record the output size of every image pipeline, but not all of them take one
            call.width(settings.width()).height(settings.height());
        }
        if (anySecond) {
            call.sdxl(new SdxlArguments().prompt2(prompts2).negativePrompt2(negatives2));
        }
        // each list only when a row sets it, so a refusal names what the rows set
        call.prompt3(anyPrompt3 ? prompts3 : null).negativePrompt3(anyNegative3 ? negatives3 : null);
        if (settings.scheduler() != null && !settings.scheduler().equals(schedulerName)) {
            call.scheduler(Schedulers.create(settings.scheduler(), pipeline.scheduler().config()));
        }
        return call;
    }

    /**
     * Refuses images with NaN pixels: diffusers would hand them on (8-bit conversion turns NaN into black), a job
     * must not record a black square as an ok image. NaN survives the pipeline's clamp to [0, 1]; it comes from
     * latents that diverged (float16 overflow, broken weights, a guidance too large for float32).
     */
    static void checkFinite(ImagePipelineOutput out, List<ImageRequest> images) {
        checkFinite(out.data(), out.count(), images, "pixel");
    }

    /** As {@link #checkFinite(ImagePipelineOutput, List)} over any output's {@code n} items of {@code data}. */
    private static void checkFinite(float[] data, int n, List<ImageRequest> images, String value) {
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
            throw new IllegalStateException("the pipeline produced non-finite (NaN) " + value + " values for "
                    + bad.size() + " of " + n + " images (seeds " + bad + "): the latents diverged (float16 "
                    + "overflow, broken weights or a guidance too large); no image is written for them");
        }
    }

    @Override
    public void close() {
        pipeline.close();
    }
}

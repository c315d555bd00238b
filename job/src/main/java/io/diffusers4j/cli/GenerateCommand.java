// `diffusers4j generate`: one pipeline call from the command line, written as PNGs (with their parameters) or .npy.
package io.diffusers4j.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.image.AdapterMetadata;
import io.diffusers4j.audio.WavWriter;
import io.diffusers4j.models.nn.Bf16Support;
import io.diffusers4j.pipelines.CallArgument;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.PipelineRegistry;
import io.diffusers4j.pipelines.SdxlArguments;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.schedulers.SchedulerConfig;
import io.diffusers4j.schedulers.Schedulers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Maps the flags onto a {@link PipelineCall} and lets the checkpoint's pipeline do the rest: which family member
 * runs it ({@code --image}: image-to-image, {@code --mask-image}: inpainting, on the same components), its defaults
 * (steps, guidance, strength, size), and its checks (diffusers' messages) — first without weights
 * ({@link DiffusionPipeline#checkCall}), then on the loaded pipeline. The flags are diffusers' keyword arguments.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Generate images with a diffusers checkpoint: text-to-image, img2img (--image) and inpainting "
                + "(--image --mask-image) on the pipeline model_index.json names; its defaults and checks are "
                + "diffusers'. Unconditional checkpoints (DDPM, DDIM) render without a prompt; audio checkpoints "
                + "(Dance Diffusion) write WAV files."})
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "diffusers folder or Hub id (default: the embedded tiny pipeline)")
    String model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "repeat for a batch of prompts")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "one for all prompts, or one per prompt")
    List<String> negativePrompts = new ArrayList<>();

    @Option(names = "--prompt-2", paramLabel = "TEXT",
            description = "SDXL: the second text encoder's prompt (default: the prompt); one for all or one per prompt")
    List<String> prompts2 = new ArrayList<>();

    @Option(names = "--negative-prompt-2", paramLabel = "TEXT",
            description = "SDXL: the second text encoder's negative prompt (default: the negative prompt)")
    List<String> negativePrompts2 = new ArrayList<>();

    @Option(names = "--prompt-3", paramLabel = "TEXT",
            description = "Stable Diffusion 3: the T5 encoder's prompt (default: the prompt); one for all or one per prompt")
    List<String> prompts3 = new ArrayList<>();

    @Option(names = "--negative-prompt-3", paramLabel = "TEXT",
            description = "Stable Diffusion 3: the T5 encoder's negative prompt (default: the negative prompt)")
    List<String> negativePrompts3 = new ArrayList<>();

    @Option(names = "--max-sequence-length", paramLabel = "N", description = "Stable Diffusion 3 / FLUX: the T5 "
            + "prompt's length in tokens, at most 512 (default: the pipeline's; SD3 256, FLUX.1-schnell 256, "
            + "FLUX.1-dev 512)")
    Integer maxSequenceLength;

    @Option(names = "--seed", paramLabel = "N", description = {"one = one generator for the whole batch; one per "
            + "image = a list of generators (diffusers semantics)", "default: a random seed, printed and recorded"})
    List<Long> seeds = new ArrayList<>();

    @Option(names = "--steps", paramLabel = "N", description = "num_inference_steps (default: the pipeline's; 50, LCM 4)")
    Integer steps;

    @Option(names = "--timesteps", paramLabel = "T1,T2,...", split = ",", description = "a custom schedule instead "
            + "of --steps (diffusers' timesteps=; DDPM, Euler, Heun, DPM-Solver multistep, LCM)")
    List<Double> timesteps;

    @Option(names = "--sigmas", paramLabel = "S1,S2,...", split = ",",
            description = "custom sigmas, the last one the final sigma (diffusers' sigmas=; EulerDiscreteScheduler)")
    List<Double> sigmas;

    @Option(names = "--guidance-scale", paramLabel = "F", description = "classifier-free guidance (default: the "
            + "pipeline's; 7.5, SDXL 5.0, LCM 8.5 embedded; <= 1 disables it)")
    Double guidanceScale;

    @Option(names = "--original-inference-steps", paramLabel = "N",
            description = "LCM: the distillation schedule length (default: the scheduler's)")
    Integer originalInferenceSteps;

    @Option(names = "--height", paramLabel = "H", description = "multiple of the VAE factor (default: the "
            + "checkpoint's unet.sample_size * factor; img2img: the input image's size)")
    Integer height;

    @Option(names = "--width", paramLabel = "W", description = "as --height")
    Integer width;

    @Option(names = "--eta", paramLabel = "F", description = "DDIM eta (default 0)")
    Double eta;

    @Option(names = "--num-images-per-prompt", paramLabel = "N", description = "(default 1)")
    int numImagesPerPrompt = 1;

    @Option(names = "--max-images", paramLabel = "N", description = "images one run writes at most (default: what "
            + "the free space where --output goes holds at the largest size of one image; at most 1000000)")
    Integer maxImages;

    @Option(names = "--batch-size", paramLabel = "N", description = {"images per pipeline call: a larger request "
            + "is rendered in several calls and written as it goes, each image as the single call renders it",
        "default 8, fewer when half the available memory holds fewer (see README)", "unconditional and audio "
            + "checkpoints: how many to draw (diffusers' batch_size, default 1), in as many calls as memory needs"})
    Integer batchSize;

    @Option(names = "--clip-skip", paramLabel = "N", description = "skip the last N CLIP layers")
    Integer clipSkip;

    @Option(names = "--guidance-rescale", paramLabel = "F", description = "(default 0)")
    Double guidanceRescale;

    @Option(names = "--scheduler", paramLabel = "NAME", description = {"a diffusers class (EulerDiscreteScheduler), an "
            + "AUTOMATIC1111 sampler (\"DPM++ 2M Karras\") or a ComfyUI sampler [scheduler] (\"dpmpp_2m karras\")",
        "default: the checkpoint's own"})
    String scheduler;

    @Option(names = "--scheduler-option", paramLabel = "KEY=VALUE",
            description = "repeatable, e.g. use_karras_sigmas=true, timestep_spacing=trailing")
    List<String> schedulerOptions = new ArrayList<>();

    @Option(names = "--image", paramLabel = "PNG", description = "img2img (or inpainting with --mask-image) input")
    Path image;

    @Option(names = "--strength", paramLabel = "F",
            description = "with --image (default: the pipeline's; img2img 0.8, SDXL img2img 0.3, inpainting 1.0)")
    Double strength;

    @Option(names = "--mask-image", paramLabel = "PNG", description = "inpainting mask (white = repaint), with --image")
    Path maskImage;

    @Option(names = "--output-type", paramLabel = "png|wav|np|latent", description = {"png: a folder of 000.png, "
            + "001.png, ... with their parameters in PNG text (default for images)", "wav: a folder of 000.wav, ... "
            + "with their parameters in LIST/INFO (default for audio)", "np: ONE float32 .npy [N,H,W,3] in [0,1] "
            + "(diffusers' output_type=\"np\"; audio: [N,channels,samples] in [-1,1]); latent: .npy [N,C,h,w]"})
    String outputType;

    @Option(names = "--audio-length-in-s", paramLabel = "SECONDS",
            description = "audio checkpoints: the length (default: the UNet's sample_size / sample_rate)")
    Double audioLengthInS;

    @Option(names = "--use-clipped-model-output", description = "DDIM: recompute the noise from the clipped sample")
    boolean useClippedModelOutput;

    @Option(names = "--wav-format", paramLabel = "pcm16|float32", description = "WAV samples (default pcm16)")
    String wavFormat = "pcm16";

    @Option(names = "--output", paramLabel = "PATH", required = true, description = "where to write: a folder "
            + "(png, wav) or a .npy file; refused if it holds what this run writes, unless --overwrite")
    Path output;

    @Option(names = "--overwrite", description = "replace the files this run writes when --output holds them")
    boolean overwrite;

    @Option(names = "--device", paramLabel = "cpu|gpu[:N]", description = "(default cpu)")
    String device = "cpu";

    @Option(names = "--dtype", paramLabel = "float32|float16|bfloat16|auto",
            description = "(default float32; float16 is for CUDA; bfloat16: float32 weights with bfloat16 convolutions "
                    + "and linear layers, on CPUs with AVX512-BF16 or AMX only)")
    String dtype = "float32";

    @Option(names = "--variant", paramLabel = "NAME", description = "weight variant, e.g. fp16")
    String variant;

    @Option(names = "--vae", paramLabel = "DIR|ORG/NAME", description = "VAE folder or Hub id used instead of the "
            + "model's (AutoencoderKL or AutoencoderTiny, e.g. madebyollin/taesd)")
    String vae;

    @Option(names = "--text-embedding-cache", paramLabel = "ROWS", description = "prompt rows of text-encoder "
            + "output kept for repeated prompts across micro-batches "
            + "(each row encoded alone: the same bits whatever its batch; 0 = off; default 64)")
    Integer textEmbeddingCache;

    @Option(names = "--revision", paramLabel = "REV", description = "Hub branch, tag or commit")
    String revision;

    @Option(names = "--local-files-only", description = "never contact the Hub; use the cached snapshot")
    boolean localFilesOnly;

    @Option(names = "--without-component", paramLabel = "NAME", description = {"leave a model_index.json component "
            + "out (diffusers' from_pretrained(..., NAME=None)); repeatable",
        "e.g. Stable Diffusion 3 without T5: --without-component text_encoder_3 --without-component tokenizer_3"})
    List<String> withoutComponents = new ArrayList<>();

    @Option(names = "--attention-slicing", paramLabel = "auto|max|N", description = "compute attention in slices")
    String attentionSlicing;

    @Option(names = "--memory-efficient-attention", description = "query-chunked attention")
    boolean memoryEfficientAttention;

    @Option(names = "--vae-slicing", description = "decode one image at a time")
    boolean vaeSlicing;

    @Option(names = "--vae-tiling", description = "encode/decode in overlapping tiles")
    boolean vaeTiling;

    @Option(names = "--no-progress", description = "no progress bar on stderr")
    boolean noProgress;

    @Mixin
    AdapterOptions adapterOptions = new AdapterOptions();

    private static final List<String> OUTPUT_TYPES = List.of("png", "wav", "np", "latent");

    @Override
    public Integer call() throws Exception {
        if (outputType != null && !OUTPUT_TYPES.contains(outputType)) {
            throw new UsageException("--output-type must be png, wav, np or latent, got '" + outputType + "'");
        }
        WavWriter.Format wav = WavWriter.Format.parse(wavFormat);
        checkFlagCounts();
        PipelineOptions options = pipelineOptions();
        if (scheduler != null) {
            Schedulers.resolve(scheduler);
        }
        List<Long> usedSeeds = seeds.isEmpty() ? List.of(randomSeed()) : seeds;
        PipelineCall call = toCall(usedSeeds);
        // what the checkpoint's pipeline counts and writes, from its model_index.json (no weights yet)
        PipelineRegistry.Entry runs = DiffusionPipeline.registeredFor(
                DiffusionPipeline.resolveConfigs(modelPath(), options), call);
        boolean drawsBatch = runs != null && runs.accepted().contains(CallArgument.BATCH_SIZE);
        if (drawsBatch) {
            call.batchSize(batchSize);
        }
        String outputType = OutputWriter.outputType(this.outputType, runs != null && runs.task().producesAudio());
        long total = checkTotal(drawsBatch);
        OutputTarget target = OutputTarget.check(output, outputType.equals("png") || outputType.equals("wav")
                ? outputType : null, (int) total, overwrite);
        Path dir = DiffusionPipeline.resolve(modelPath(), options);
        DiffusionPipeline.checkPretrained(dir, options);
        checkScheduler(dir);
        DiffusionPipeline.checkCall(dir, call);
        adapterOptions.check();
        try (DiffusionPipeline loaded = DiffusionPipeline.fromPretrained(dir.toString(), options)) {
            applyMemoryOptions(loaded);
            AdapterMetadata adapters = adapterOptions.apply(loaded, hubOptions());
            if (scheduler != null || !schedulerOptions.isEmpty()) {
                call.scheduler(Schedulers.create(scheduler == null ? loaded.scheduler().className() : scheduler,
                        loaded.scheduler().config(), schedulerOptions));
            }
            DiffusionPipeline pipe = loaded.pipelineFor(call);
            boolean audio = pipe.task().producesAudio();
            PipelineCall resolved = pipe.withDefaults(call);
            pipe.checkInputs(resolved);
            int[] size = pipe.outputSize(resolved);
            String pipelineOutput = outputType.equals("latent") ? "latent" : "np";
            ImageBudget budget = new ImageBudget(ImageBudget.Machine.current(target.existingFolder()), size[0],
                    size[1], pipe.outputShape(resolved, pipelineOutput), outputType.equals("png"),
                    !options.device().isGpu());
            if (audio) { // size is (channels, samples)
                budget.forAudio("--audio-length-in-s " + resolved.audioLengthInS());
            }
            budget.checkRun(total, requestedImages(drawsBatch), maxImages);
            // a pipeline that draws batch_size samples: --batch-size is that count, the calls are sized to memory
            MicroBatches batches = new MicroBatches(resolved, usedSeeds,
                    budget.batchSize(drawsBatch ? null : batchSize, (int) total));
            if (seeds.isEmpty()) {
                System.err.println("diffusers4j generate: seed " + usedSeeds.get(0) + " (random; --seed "
                        + usedSeeds.get(0) + " renders the same images again)");
            }
            // the name asked for (a web UI name keeps its sampler name in the PNG's parameters)
            String schedulerName = scheduler != null ? Schedulers.resolve(scheduler).name()
                    : resolved.scheduler() != null ? resolved.scheduler().className() : pipe.scheduler().className();
            GenerateMetadata metadata = new GenerateMetadata(resolved, size, usedSeeds, schedulerName,
                    model == null ? OutputWriter.EMBEDDED_MODEL : model, revision, schedulerOptions,
                    pipe.className()).withAdapters(adapters);
            Path written = render(pipe, batches, pipelineOutput, OutputWriter.open(target, (int) total, metadata,
                    wav));
            System.err.println("diffusers4j generate: wrote " + total + " "
                    + (outputType.equals("latent") ? "latent(s)" : audio ? "audio clip(s)" : "image(s)") + " to "
                    + written);
            return 0;
        }
    }

    /**
     * --scheduler and --scheduler-option on the checkpoint's scheduler config, before any weight loads: a name of the
     * other family (a flow-matching checkpoint, SD3 / FLUX, or not) or an option its class lacks is one line.
     */
    private void checkScheduler(Path dir) {
        SchedulerConfig own = DiffusionPipeline.schedulerConfig(dir);
        if (own != null && (scheduler != null || !schedulerOptions.isEmpty())) {
            Schedulers.create(scheduler == null ? own.className() : scheduler, own, schedulerOptions).close();
        }
    }

    /** One pipeline call per micro-batch, each written as it comes; the output moved into place at the end. */
    private Path render(DiffusionPipeline pipe, MicroBatches batches, String pipelineOutput, OutputWriter output)
            throws IOException {
        try (OutputWriter writer = output) {
            for (int k = 0; k < batches.count(); k++) {
                if (batches.count() > 1) {
                    System.err.println("diffusers4j generate: images " + (batches.first(k) + 1) + "-"
                            + (batches.first(k) + batches.size(k)) + " of " + batches.total());
                }
                PipelineCall part = batches.call(k).outputType(pipelineOutput);
                if (!noProgress) {
                    part.progress(new ConsoleProgressBar(System.err));
                }
                writer.append(pipe.call(part));
            }
            return writer.finish();
        }
    }

    /** Bounds the counts flags set before anything is loaded or allocated: images per prompt, images, batch size. */
    private void checkFlagCounts() {
        if (numImagesPerPrompt < 1) {
            throw new UsageException("--num-images-per-prompt must be >= 1, got " + numImagesPerPrompt);
        }
        if (maxImages != null && (maxImages < 1 || maxImages > ImageBudget.MAX_IMAGES_LIMIT)) {
            throw new UsageException("--max-images must be in [1, " + ImageBudget.MAX_IMAGES_LIMIT + "], got "
                    + maxImages);
        }
        if (batchSize != null && (batchSize < 1 || batchSize > ImageBudget.MAX_IMAGES_LIMIT)) {
            throw new UsageException("--batch-size must be in [1, " + ImageBudget.MAX_IMAGES_LIMIT + "], got "
                    + batchSize);
        }
    }

    /**
     * The run's images: prompts x images per prompt, or for a pipeline that draws {@code batch_size} samples
     * without a prompt ({@code drawsBatch}) --batch-size (default 1); at most --max-images or
     * {@link ImageBudget#MAX_IMAGES_LIMIT}, and one seed or one per image.
     */
    private long checkTotal(boolean drawsBatch) {
        long total = drawsBatch ? (batchSize == null ? 1 : batchSize)
                : (long) Math.max(1, prompts.size()) * numImagesPerPrompt;
        int limit = maxImages != null ? maxImages : ImageBudget.MAX_IMAGES_LIMIT;
        if (total > limit) {
            throw new UsageException(requestedImages(drawsBatch) + " = " + total + " images, more than "
                    + (maxImages != null ? "--max-images " + maxImages : "the " + limit + " one run writes at most"));
        }
        if (!seeds.isEmpty()) {
            MicroBatches.checkSeeds(seeds.size(), total);
        }
        return total;
    }

    /** "--num-images-per-prompt 4 x 2 prompts" (or "--batch-size 4"): the flags that set a run's number of images. */
    private String requestedImages(boolean drawsBatch) {
        if (drawsBatch) {
            return "--batch-size " + (batchSize == null ? 1 : batchSize);
        }
        int n = Math.max(1, prompts.size());
        return "--num-images-per-prompt " + numImagesPerPrompt + " x " + n + (n == 1 ? " prompt" : " prompts");
    }

    /** A seed like the UIs pick one: a non-negative 32-bit number. */
    private static long randomSeed() {
        return new SecureRandom().nextInt() & 0xFFFFFFFFL;
    }

    private String modelPath() {
        return model == null ? TinyPipeline.defaultModel().toString() : model;
    }

    /** The flags as diffusers' keyword arguments; a once-for-all per-prompt value is repeated for every prompt. */
    PipelineCall toCall(List<Long> usedSeeds) {
        PipelineCall call = new PipelineCall().prompt(prompts).numInferenceSteps(steps)
                .timesteps(toArray(timesteps)).sigmas(toArray(sigmas)).guidanceScale(guidanceScale)
                .originalInferenceSteps(originalInferenceSteps).height(height).width(width).eta(eta)
                .numImagesPerPrompt(numImagesPerPrompt).clipSkip(clipSkip).guidanceRescale(guidanceRescale)
                .strength(strength).image(single(readImage(image, "--image")))
                .maskImage(single(readImage(maskImage, "--mask-image")))
                .audioLengthInS(audioLengthInS).useClippedModelOutput(useClippedModelOutput ? Boolean.TRUE : null)
                .maxSequenceLength(maxSequenceLength);
        long[] seedArray = usedSeeds.stream().mapToLong(Long::longValue).toArray();
        if (seedArray.length == 1) {
            call.seed(seedArray[0]);
        } else {
            call.seeds(seedArray);
        }
        call.negativePrompt(perPrompt(negativePrompts, "--negative-prompt"));
        List<String> second = perPrompt(prompts2, "--prompt-2");
        List<String> negativeSecond = perPrompt(negativePrompts2, "--negative-prompt-2");
        if (second != null || negativeSecond != null) {
            call.sdxl(new SdxlArguments().prompt2(second).negativePrompt2(negativeSecond));
        }
        call.prompt3(perPrompt(prompts3, "--prompt-3")).negativePrompt3(perPrompt(negativePrompts3,
                "--negative-prompt-3"));
        return call;
    }

    /** One value per prompt (a single value repeated), or null when the option was not given. */
    private List<String> perPrompt(List<String> values, String option) {
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() != 1 && values.size() != prompts.size()) {
            throw new UsageException(option + " given " + values.size() + " times but there are " + prompts.size()
                    + " prompts: give one for all prompts or one per prompt");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            out.add(values.size() == 1 ? values.get(0) : values.get(i));
        }
        return out;
    }

    private static double[] toArray(List<Double> values) {
        return values == null ? null : values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static List<BufferedImage> single(BufferedImage img) {
        return img == null ? null : List.of(img);
    }

    private static BufferedImage readImage(Path path, String option) {
        if (path == null) {
            return null;
        }
        if (!Files.isRegularFile(path)) {
            throw new UsageException(option + " " + path + ": no such file");
        }
        try {
            BufferedImage img = ImageIO.read(path.toFile());
            if (img == null) {
                throw new UsageException(option + " " + path + ": not a readable image (PNG or JPEG)");
            }
            return img;
        } catch (IOException e) {
            throw new UsageException(option + " " + path + ": cannot read image: " + e.getMessage());
        }
    }

    /** The Hub settings of the adapters: the model's revision is not theirs; offline when the model is. */
    private HubOptions hubOptions() {
        HubOptions.Builder hub = HubOptions.builder();
        if (localFilesOnly) {
            hub.localFilesOnly(true);
        }
        return hub.build();
    }

    private PipelineOptions pipelineOptions() {
        if (!List.of("cpu", "gpu", "cuda").contains(device) && !device.matches("(gpu|cuda):\\d+")) {
            throw new UsageException("--device must be cpu or gpu[:N], got '" + device + "'");
        }
        PipelineOptions options = new PipelineOptions().dtype(dtype).variant(variant).revision(revision)
                .localFilesOnly(localFilesOnly).vae(vae).textEmbeddingCache(textEmbeddingCache);
        withoutComponents.forEach(name -> options.component(name, PipelineOptions.NONE));
        options.device(device.equals("cpu") ? Device.cpu() : gpu());
        if (options.dtype().equals("bfloat16") || options.dtype().equals("bf16")) {
            // before the model is resolved (a Hub download) or any weight loads
            Bf16Support.unsupportedReason(options.device()).ifPresent(why -> {
                throw new UsageException("--dtype bfloat16 refused: " + why);
            });
        }
        return options;
    }

    private Device gpu() {
        int index = device.contains(":") ? Integer.parseInt(device.substring(device.indexOf(':') + 1)) : 0;
        int count = Engine.getEngine("PyTorch").getGpuCount();
        if (index >= count) {
            throw new UsageException("--device " + device + ": DJL sees " + count + " CUDA device(s); point "
                    + "PYTORCH_LIBRARY_PATH at a CUDA libtorch 2.7.1 and set PYTORCH_FLAVOR=cu128 (see README)");
        }
        return Device.gpu(index);
    }

    private void applyMemoryOptions(DiffusionPipeline pipe) {
        if (attentionSlicing != null) {
            pipe.enableAttentionSlicing(attentionSlicing);
        }
        if (memoryEfficientAttention) {
            pipe.enableMemoryEfficientAttention();
        }
        if (vaeSlicing) {
            pipe.enableVaeSlicing();
        }
        if (vaeTiling) {
            pipe.enableVaeTiling();
        }
    }
}

// The validated arguments of `diffusers4j generate`.
package io.diffusers4j.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.diffusers4j.pipelines.LatentConsistencyModelCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.SdxlArguments;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.AbstractStableDiffusionXLPipeline;
import io.diffusers4j.pipelines.StableDiffusionXLImg2ImgPipeline;
import io.diffusers4j.pipelines.StableDiffusionXLInpaintPipeline;
import io.diffusers4j.pipelines.AbstractStableDiffusionPipeline;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.schedulers.Schedulers;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything `generate` was asked for, checked before any model is loaded where possible. {@code steps} and
 * {@code guidanceScale} (and {@code strength} with an image) are null until {@link #withPipelineDefaults} fills in
 * the loaded pipeline's defaults.
 */
record GenerateRequest(String model, List<String> prompts, List<String> negativePrompts, List<String> prompts2,
                       List<String> negativePrompts2, List<Long> seeds, Integer steps, double[] timesteps,
                       double[] sigmas, Double guidanceScale, Integer originalInferenceSteps, Integer height,
                       Integer width, double eta,
                       int numImagesPerPrompt, Integer clipSkip, double guidanceRescale, String scheduler,
                       List<String> schedulerOptions, BufferedImage image, Double strength,
                       BufferedImage maskImage, String outputType, Path output, String device, String dtype,
                       String variant, String revision, boolean localFilesOnly, boolean progress,
                       String attentionSlicing, boolean memoryEfficientAttention, boolean vaeSlicing,
                       boolean vaeTiling, String modelName) {

    static GenerateRequest from(CliArgs a) {
        List<String> prompts = a.all("prompt");
        if (prompts.isEmpty()) {
            throw new UsageException("--prompt is required (repeat it for a batch)");
        }
        List<String> negatives = perPrompt(a, "negative-prompt", prompts.size());
        List<String> prompts2 = perPrompt(a, "prompt-2", prompts.size());
        List<String> negatives2 = perPrompt(a, "negative-prompt-2", prompts.size());
        int perPrompt = a.intValue("num-images-per-prompt", 1);
        if (perPrompt < 1) {
            throw new UsageException("--num-images-per-prompt must be >= 1, got " + perPrompt);
        }
        List<Long> seeds = a.longValues("seed");
        int images = prompts.size() * perPrompt;
        if (!seeds.isEmpty() && seeds.size() != 1 && seeds.size() != images) {
            throw new UsageException("--seed given " + seeds.size() + " times but there are " + images
                    + " images: give one seed (one generator for the batch) or one per image");
        }
        Integer steps = a.intValue("steps");
        if (steps != null && steps < 1) {
            throw new UsageException("--steps must be >= 1, got " + steps);
        }
        double[] timesteps = a.doubleList("timesteps");
        double[] sigmas = a.doubleList("sigmas");
        if (timesteps != null && sigmas != null) {
            throw new UsageException("--timesteps and --sigmas: give one custom schedule, not both");
        }
        Integer height = a.intValue("height");
        Integer width = a.intValue("width");
        if (height != null && height < 1 || width != null && width < 1) {
            throw new UsageException("--height/--width must be positive, got " + height + "x" + width);
        }
        Double strength = a.doubleValue("strength");
        if (strength != null && (strength < 0 || strength > 1)) {
            throw new UsageException("--strength must be in [0, 1], got " + strength);
        }
        if (strength != null && !a.has("image")) {
            throw new UsageException("--strength needs --image (img2img or inpainting)");
        }
        if (a.has("mask-image") && !a.has("image")) {
            throw new UsageException("--mask-image needs --image");
        }
        String outputType = a.get("output-type", "png");
        if (!List.of("np", "png", "latent").contains(outputType)) {
            throw new UsageException("--output-type must be np, png or latent, got '" + outputType + "'");
        }
        String dtype = a.get("dtype", "float32");
        if (dtype.equals("bfloat16") || dtype.equals("bf16")) {
            throw new UsageException("--dtype bfloat16 is not supported: DJL 0.36's PyTorch engine aborts the JVM on "
                    + "bfloat16 tensors; use float32 (CPU) or float16 (GPU)");
        }
        if (!List.of("float32", "float16", "auto").contains(dtype)) {
            throw new UsageException("--dtype must be float32 or float16, got '" + dtype + "'");
        }
        String device = a.get("device", "cpu");
        if (!List.of("cpu", "gpu", "cuda").contains(device) && !device.matches("(gpu|cuda):\\d+")) {
            throw new UsageException("--device must be cpu or gpu, got '" + device + "'");
        }
        List<String> schedulerOptions = new ArrayList<>();
        for (String kv : a.all("scheduler-option")) {
            if (kv.indexOf('=') <= 0) {
                throw new UsageException("--scheduler-option must be KEY=VALUE, got '" + kv + "'");
            }
            schedulerOptions.add(kv);
        }
        Path output = Path.of(a.require("output"));
        Integer clipSkip = a.intValue("clip-skip");
        if (clipSkip != null && clipSkip < 0) {
            throw new UsageException("--clip-skip must be >= 0, got " + clipSkip);
        }
        String model = a.get("model");
        String modelName = model;
        if (model == null) {
            model = TinyPipeline.defaultModel().toString();
            modelName = OutputWriter.EMBEDDED_MODEL;
        }
        Integer originalSteps = a.intValue("original-inference-steps");
        if (originalSteps != null && originalSteps < 1) {
            throw new UsageException("--original-inference-steps must be >= 1, got " + originalSteps);
        }
        return new GenerateRequest(model, prompts, negatives, prompts2, negatives2, seeds, steps, timesteps, sigmas,
                a.doubleValue("guidance-scale"),
                originalSteps, height, width, a.doubleValue("eta", 0.0), perPrompt, clipSkip, a.doubleValue("guidance-rescale", 0.0),
                a.get("scheduler"), schedulerOptions, readImage(a.get("image"), "image"), strength,
                readImage(a.get("mask-image"), "mask-image"), outputType, output, device, dtype, a.get("variant"),
                a.get("revision"), a.flag("local-files-only"), !a.flag("no-progress"), a.get("attention-slicing"),
                a.flag("memory-efficient-attention"), a.flag("vae-slicing"), a.flag("vae-tiling"), modelName);
    }

    /** A repeatable option given once for all prompts or once per prompt. */
    private static List<String> perPrompt(CliArgs a, String option, int prompts) {
        List<String> values = a.all(option);
        if (!values.isEmpty() && values.size() != 1 && values.size() != prompts) {
            throw new UsageException("--" + option + " given " + values.size() + " times but there are " + prompts
                    + " prompts: give one for all prompts or one per prompt");
        }
        return values;
    }

    /** One value per prompt (a single value repeated), or null when the option was not given. */
    private List<String> expand(List<String> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            out.add(values.size() == 1 ? values.get(0) : values.get(i));
        }
        return out;
    }

    private static BufferedImage readImage(String path, String option) {
        if (path == null) {
            return null;
        }
        Path p = Path.of(path);
        if (!Files.isRegularFile(p)) {
            throw new UsageException("--" + option + " " + path + ": no such file");
        }
        try {
            BufferedImage img = ImageIO.read(p.toFile());
            if (img == null) {
                throw new UsageException("--" + option + " " + path + ": not a readable image (PNG or JPEG)");
            }
            return img;
        } catch (IOException e) {
            throw new UsageException("--" + option + " " + path + ": cannot read image: " + e.getMessage());
        }
    }

    /**
     * This request with the pipeline's own defaults where --steps / --guidance-scale / --strength (with --image)
     * were not given; a custom schedule (which replaces num_inference_steps, as in diffusers) counts its own steps.
     */
    GenerateRequest withPipelineDefaults(int defaultSteps, double defaultGuidanceScale, double defaultStrength) {
        int customSteps = Schedulers.customScheduleSteps(timesteps, sigmas);
        int effectiveSteps = customSteps >= 0 ? customSteps : steps == null ? defaultSteps : steps;
        return new GenerateRequest(model, prompts, negativePrompts, prompts2, negativePrompts2, seeds, effectiveSteps,
                timesteps, sigmas,
                guidanceScale == null ? defaultGuidanceScale : guidanceScale, originalInferenceSteps, height, width,
                eta, numImagesPerPrompt, clipSkip, guidanceRescale, scheduler, schedulerOptions, image,
                strength == null && image != null ? Double.valueOf(defaultStrength) : strength,
                maskImage, outputType, output, device, dtype, variant, revision, localFilesOnly, progress,
                attentionSlicing, memoryEfficientAttention, vaeSlicing, vaeTiling, modelName);
    }

    /**
     * The options diffusers' LatentConsistencyModelPipeline.__call__ does not take (it has no negative prompt, eta,
     * guidance rescale or image input) are refused for an LCM checkpoint, as Python refuses unknown keywords;
     * --original-inference-steps is refused for every other pipeline.
     */
    void checkPipelineKind(boolean latentConsistency) {
        if (!latentConsistency) {
            if (originalInferenceSteps != null) {
                throw new UsageException("--original-inference-steps is for latent consistency (LCM) checkpoints, but "
                        + "--model " + model + " is not one");
            }
            return;
        }
        List<String> refused = new ArrayList<>();
        if (!negativePrompts.isEmpty()) {
            refused.add("--negative-prompt");
        }
        if (sigmas != null) {
            refused.add("--sigmas");
        }
        if (eta != 0) {
            refused.add("--eta");
        }
        if (guidanceRescale != 0) {
            refused.add("--guidance-rescale");
        }
        if (image != null) {
            refused.add("--image");
        }
        if (maskImage != null) {
            refused.add("--mask-image");
        }
        if (!refused.isEmpty()) {
            throw new UsageException(String.join(", ", refused) + ": --model " + model + " is a latent consistency "
                    + "model (LatentConsistencyModelPipeline, text-to-image without a negative prompt)");
        }
    }

    LatentConsistencyModelCall toLcmCall() {
        LatentConsistencyModelCall c = new LatentConsistencyModelCall().prompt(prompts).numInferenceSteps(steps)
                .timesteps(timesteps)
                .guidanceScale(guidanceScale).originalInferenceSteps(originalInferenceSteps).height(height)
                .width(width).numImagesPerPrompt(numImagesPerPrompt).clipSkip(clipSkip)
                .generators(GenerateCommand.generators(seeds, prompts.size() * numImagesPerPrompt))
                .outputType(outputType.equals("latent") ? "latent" : "np");
        if (progress) {
            c.progress(new ConsoleProgressBar(System.err));
        }
        return c;
    }

    PipelineOptions pipelineOptions() {
        PipelineOptions o = new PipelineOptions().dtype(dtype).variant(variant).revision(revision)
                .localFilesOnly(localFilesOnly);
        o.device(device.equals("cpu") ? Device.cpu() : gpu());
        return o;
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

    /** Checks that need the loaded pipeline (VAE factor, UNet channels, image sizes). */
    void validateAgainst(AbstractStableDiffusionPipeline p) {
        boolean sdxl = p instanceof AbstractStableDiffusionXLPipeline;
        if (!sdxl && (!prompts2.isEmpty() || !negativePrompts2.isEmpty())) {
            throw new UsageException("--prompt-2/--negative-prompt-2 need an SDXL checkpoint, but --model " + model
                    + " loads a " + p.getClass().getSimpleName());
        }
        if (sdxl && maskImage != null || p instanceof StableDiffusionXLInpaintPipeline) {
            throw new UsageException("--mask-image: generate does not run SDXL inpainting yet (text-to-image and "
                    + "img2img only; the library's StableDiffusionXLInpaintPipeline does)");
        }
        if (p instanceof StableDiffusionXLImg2ImgPipeline && image == null) {
            throw new UsageException("--model " + model + " is an SDXL image-to-image checkpoint "
                    + "(StableDiffusionXLImg2ImgPipeline, e.g. the refiner): give --image");
        }
        int f = p.vaeScaleFactor();
        int h = height == null ? p.defaultHeight() : height;
        int w = width == null ? p.defaultWidth() : width;
        if (h % f != 0 || w % f != 0) {
            throw new UsageException("--height/--width must be multiples of the VAE factor " + f + ", got " + h + "x"
                    + w);
        }
        int unetChannels = p.unetInChannels();
        if (maskImage != null) {
            if (unetChannels != 9) {
                throw new UsageException("--mask-image needs an inpainting checkpoint (9-channel UNet), but --model "
                        + model + " has a " + unetChannels + "-channel UNet");
            }
            if (maskImage.getWidth() != image.getWidth() || maskImage.getHeight() != image.getHeight()) {
                throw new UsageException("--mask-image is " + maskImage.getWidth() + "x" + maskImage.getHeight()
                        + " but --image is " + image.getWidth() + "x" + image.getHeight() + ": they must match");
            }
        } else if (unetChannels == 9) {
            throw new UsageException("--model " + model + " is an inpainting checkpoint (9-channel UNet): give "
                    + "--image and --mask-image");
        }
    }

    void applyMemoryOptions(AbstractStableDiffusionPipeline p) {
        if (attentionSlicing != null) {
            p.enableAttentionSlicing(attentionSlicing);
        }
        if (memoryEfficientAttention) {
            p.enableMemoryEfficientAttention();
        }
        if (vaeSlicing) {
            p.enableVaeSlicing();
        }
        if (vaeTiling) {
            p.enableVaeTiling();
        }
    }

    PipelineCall toCall(AbstractStableDiffusionPipeline p) {
        PipelineCall c = new PipelineCall().prompt(prompts).numInferenceSteps(steps)
                .timesteps(timesteps).sigmas(sigmas)
                .guidanceScale(guidanceScale).height(height).width(width).eta(eta)
                .numImagesPerPrompt(numImagesPerPrompt).clipSkip(clipSkip).guidanceRescale(guidanceRescale)
                .generators(GenerateCommand.generators(seeds, prompts.size() * numImagesPerPrompt))
                .outputType(outputType.equals("latent") ? "latent" : "np")
                .image(GenerateCommand.single(image)).maskImage(GenerateCommand.single(maskImage)).strength(strength);
        c.negativePrompt(expand(negativePrompts));
        if (!prompts2.isEmpty() || !negativePrompts2.isEmpty()) {
            c.sdxl(new SdxlArguments().prompt2(expand(prompts2)).negativePrompt2(expand(negativePrompts2)));
        }
        if (progress) {
            c.progress(new ConsoleProgressBar(System.err));
        }
        return c;
    }
}

// `diffusers4j generate`: text-to-image, img2img (--image) and inpainting (--mask-image) from the command line.
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.AbstractStableDiffusionPipeline;
import io.diffusers4j.pipelines.AbstractStableDiffusionXLPipeline;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.LatentConsistencyModelCall;
import io.diffusers4j.pipelines.LatentConsistencyModelPipeline;
import io.diffusers4j.pipelines.StableDiffusionCall;
import io.diffusers4j.pipelines.StableDiffusionImg2ImgPipeline;
import io.diffusers4j.pipelines.StableDiffusionInpaintPipeline;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.pipelines.StableDiffusionXLImg2ImgPipeline;
import io.diffusers4j.pipelines.StableDiffusionXLPipeline;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Runs one pipeline call and writes the images as one .npy, a folder of PNGs, or the latents. */
public final class GenerateCommand implements Command {
    private static final Set<String> OPTIONS = Set.of("model", "prompt", "negative-prompt", "prompt-2",
            "negative-prompt-2", "seed", "steps",
            "guidance-scale", "height", "width", "eta", "num-images-per-prompt", "scheduler", "scheduler-option",
            "image", "strength", "mask-image", "output-type", "output", "device", "dtype", "variant", "revision",
            "clip-skip", "guidance-rescale", "attention-slicing", "original-inference-steps",
            "timesteps", "sigmas");
    private static final Set<String> FLAGS = Set.of("no-progress", "local-files-only", "memory-efficient-attention",
            "vae-slicing", "vae-tiling");

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "generate images with a diffusers checkpoint (text-to-image, img2img, inpainting)";
    }

    @Override
    public String help() {
        return """
                usage: diffusers4j generate --prompt TEXT [--prompt TEXT ...] --output PATH [options]

                  --model DIR|ORG/NAME          diffusers folder or Hub id (default: the embedded tiny pipeline)
                  --prompt TEXT                 repeat for a batch of prompts
                  --negative-prompt TEXT        one for all prompts, or one per prompt
                  --prompt-2 TEXT, --negative-prompt-2 TEXT
                                                SDXL: the second text encoder's prompts (default: the
                                                prompt / negative prompt)
                  --seed N                      one = one generator for the whole batch;
                                                one per image = a list of generators (diffusers semantics)
                  --steps N                     num_inference_steps (default 50; LCM checkpoints 4)
                  --guidance-scale F            classifier-free guidance (default 7.5, SDXL 5.0; <= 1 disables it);
                                                LCM checkpoints: the embedded guidance (default 8.5)
                  --timesteps T1,T2,...         a custom schedule instead of --steps (diffusers' timesteps=; DDPM,
                                                Euler, Heun, DPM-Solver multistep, LCM schedulers)
                  --sigmas S1,S2,...            custom sigmas, the last one the final sigma (diffusers' sigmas=;
                                                EulerDiscreteScheduler)
                  --original-inference-steps N  LCM checkpoints: distillation schedule length (default: scheduler's)
                  --height H --width W          multiples of the VAE factor (default unet.sample_size * factor)
                  --eta F                       DDIM eta (default 0)
                  --num-images-per-prompt N     (default 1)
                  --clip-skip N                 skip the last N CLIP layers
                  --guidance-rescale F          (default 0)
                  --scheduler NAME              a diffusers class (EulerDiscreteScheduler), an AUTOMATIC1111 sampler
                                                ("DPM++ 2M Karras") or a ComfyUI sampler [scheduler]
                                                ("dpmpp_2m karras"); default: the checkpoint's own
                  --scheduler-option KEY=VALUE  repeatable, e.g. use_karras_sigmas=true, timestep_spacing=trailing
                  --image PNG [--strength F]    img2img (strength default 0.8, SDXL 0.3); required by an SDXL
                                                img2img checkpoint (the refiner)
                  --mask-image PNG              inpainting (with --image; needs a 9-channel inpainting UNet;
                                                SDXL inpainting is not run by generate yet)
                  --output-type np|png|latent   np: ONE float32 .npy [N,H,W,3] in [0,1] (diffusers output_type="np");
                                                png: a folder of 000.png, 001.png, ...; latent: .npy [N,C,h,w]
                                                (default png)
                  --output PATH                 where to write
                  --device cpu|gpu              (default cpu)
                  --dtype float32|float16       (default float32; bfloat16 is not supported by DJL 0.36)
                  --variant NAME --revision REV --local-files-only
                  --attention-slicing auto|max|N --memory-efficient-attention --vae-slicing --vae-tiling
                  --no-progress                 no progress bar on stderr
                """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        CliArgs a = CliArgs.parse(name(), argv, OPTIONS, FLAGS);
        GenerateRequest given = GenerateRequest.from(a);
        try (DiffusionPipeline loaded = DiffusionPipeline.fromPretrained(given.model(), given.pipelineOptions())) {
            if (!(loaded instanceof AbstractStableDiffusionPipeline base)) {
                throw new UsageException("--model " + given.model() + " is a " + loaded.getClass().getSimpleName()
                        + ", generate supports Stable Diffusion pipelines");
            }
            boolean lcm = base instanceof LatentConsistencyModelPipeline;
            given.checkPipelineKind(lcm);
            GenerateRequest req = lcm
                    ? given.withPipelineDefaults(LatentConsistencyModelCall.DEFAULT_NUM_INFERENCE_STEPS,
                            LatentConsistencyModelCall.DEFAULT_GUIDANCE_SCALE, 0)
                    : given.withPipelineDefaults(50, base.defaultGuidanceScale(), defaultStrength(base, given));
            req.validateAgainst(base);
            req.applyMemoryOptions(base);
            Scheduler s = null;
            if (req.scheduler() != null || !req.schedulerOptions().isEmpty()) {
                s = Schedulers.create(req.scheduler() == null ? base.scheduler().className()
                        : req.scheduler(), base.scheduler().config(), req.schedulerOptions());
            }
            // the name asked for (a UI name keeps its web UI sampler name in the PNG's parameters)
            String scheduler = req.scheduler() != null ? Schedulers.resolve(req.scheduler()).name()
                    : base.scheduler().className();
            ImagePipelineOutput out;
            if (lcm) {
                out = ((LatentConsistencyModelPipeline) base).call(req.toLcmCall().scheduler(s));
            } else {
                out = run(base, req, req.toCall(base).scheduler(s));
            }
            Path written = OutputWriter.write(out, req, scheduler);
            System.err.println("diffusers4j generate: wrote " + out.count() + " "
                    + (req.outputType().equals("latent") ? "latent(s)" : "image(s)") + " to " + written);
            return 0;
        }
    }

    /** diffusers' default strength of the pipeline that --image (and --mask-image) will run. */
    private static double defaultStrength(AbstractStableDiffusionPipeline base, GenerateRequest req) {
        if (base instanceof AbstractStableDiffusionXLPipeline) {
            return StableDiffusionXLImg2ImgPipeline.DEFAULT_STRENGTH;
        }
        return req.maskImage() != null ? StableDiffusionInpaintPipeline.DEFAULT_STRENGTH
                : StableDiffusionImg2ImgPipeline.DEFAULT_STRENGTH;
    }

    /**
     * --mask-image: inpainting; --image: img2img; else text-to-image, all on the loaded components. An SDXL
     * img2img checkpoint (the refiner) runs as it is loaded (validateAgainst requires --image for it).
     */
    private static ImagePipelineOutput run(AbstractStableDiffusionPipeline base, GenerateRequest req,
                                           StableDiffusionCall call) {
        if (base instanceof StableDiffusionXLImg2ImgPipeline refiner) {
            return refiner.call(call);
        }
        Map<String, Object> components = base.components();
        if (base instanceof StableDiffusionXLPipeline xl) {
            if (req.image() == null) {
                return xl.call(call);
            }
            try (StableDiffusionXLImg2ImgPipeline p = new StableDiffusionXLImg2ImgPipeline(components)) {
                return p.call(call);
            }
        }
        if (req.maskImage() != null) {
            try (StableDiffusionInpaintPipeline p = new StableDiffusionInpaintPipeline(components)) {
                return p.call(call);
            }
        }
        if (req.image() != null) {
            try (StableDiffusionImg2ImgPipeline p = new StableDiffusionImg2ImgPipeline(components)) {
                return p.call(call);
            }
        }
        try (StableDiffusionPipeline p = new StableDiffusionPipeline(components)) {
            return p.call(call);
        }
    }

    /** Seeds -> generators: one seed is one generator for the batch, one per image is a generator list. */
    static List<TorchGenerator> generators(List<Long> seeds, int images) {
        List<TorchGenerator> gens = new ArrayList<>();
        if (seeds.isEmpty()) {
            return gens;
        }
        if (seeds.size() != 1 && seeds.size() != images) {
            throw new UsageException("--seed given " + seeds.size() + " times but there are " + images
                    + " images: give one seed (one generator for the batch) or one per image");
        }
        for (long s : seeds) {
            gens.add(new TorchGenerator(s));
        }
        return gens;
    }

    static List<BufferedImage> single(BufferedImage img) {
        return img == null ? null : List.of(img);
    }
}

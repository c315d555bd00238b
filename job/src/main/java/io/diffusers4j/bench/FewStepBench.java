// `bench --few-step`: end-to-end images/s of the SD-1.5 shape (10 steps, CFG) and the LCM shape (4 steps, no CFG) with AutoencoderKL vs AutoencoderTiny, text embedding cache off vs on.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDManager;
import io.diffusers4j.image.Png;
import io.diffusers4j.models.vae.AutoencoderTiny;
import io.diffusers4j.models.vae.AutoencoderTinyConfig;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.pipelines.StableDiffusionComponents;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The few-step comparison of issue 20 part 1, in one process on one loaded pipeline (the LCM shape first): the same UNet, text encoder and
 * scheduler with the checkpoint's AutoencoderKL and with a TAESD-shaped AutoencoderTiny (diffusers' default config:
 * 4 stages of 64 channels; seeded random weights, which cost what trained ones cost), each with the text embedding
 * cache off and on (the timed call repeats the warm-up call's prompts: the cache hits). Shapes: "sd15" =
 * {@code --steps} (default 10) with guidance 7.5 (a CFG batch of 2 per image); "lcm" = 4 steps with guidance 1.0 (no
 * CFG: one UNet row per image, the compute of an LCM call; the preset UNet has no guidance embedding, whose cost is
 * negligible). Every call: prompts → PNG bytes. Best of {@code --runs}.
 */
final class FewStepBench {
    private FewStepBench() {
    }

    static void run(BenchPipeline sd, BenchOptions o, BenchReport r, PrintStream log) {
        Map<String, Object> components = new LinkedHashMap<>(sd.pipeline().components());
        try (NDManager m = NDManager.newBaseManager(sd.device());
             AutoencoderTiny taesd = AutoencoderTiny.randomInit(new AutoencoderTinyConfig(), o.seed() + 3, m,
                     sd.dtype())) {
            components.put("vae", taesd);
            // the pipeline does not own these components: closing it frees only its own call manager
            DiffusionPipeline tiny = new StableDiffusionPipeline(StableDiffusionComponents.from(components), false);
            try {
                List<String> prompts = new ArrayList<>();
                for (int i = 0; i < o.batch(); i++) {
                    prompts.add("a photo of an astronaut riding a horse on mars, variant " + i);
                }
                r.section(String.format(Locale.ROOT, "Few-step end to end (batch %d, %dx%d, prompts -> PNG bytes, "
                        + "best of %d)", o.batch(), o.width(), o.height(), o.runs()));
                // the cheap shape first: on a loaded machine its figures arrive first
                Object[][] shapes = {{"lcm", 4, 1.0}, {"sd15", o.steps(), 7.5}};
                for (Object[] shape : shapes) {
                    for (Object[] vae : new Object[][] {{"kl", sd.pipeline()}, {"tiny", tiny}}) {
                        DiffusionPipeline p = (DiffusionPipeline) vae[1];
                        int steps = (int) shape[1];
                        double guidance = (double) shape[2];
                        p.setTextEmbeddingCacheSize(DiffusionPipeline.DEFAULT_TEXT_EMBEDDING_CACHE);
                        callMs(p, o, prompts, steps, guidance); // warm-up (and fills the cache)
                        for (int cache : new int[] {0, DiffusionPipeline.DEFAULT_TEXT_EMBEDDING_CACHE}) {
                            p.setTextEmbeddingCacheSize(cache);
                            double best = Double.MAX_VALUE;
                            for (int run = 0; run < o.runs(); run++) {
                                best = Math.min(best, callMs(p, o, prompts, steps, guidance));
                            }
                            String key = String.format(Locale.ROOT, "fewstep_%s_%dsteps_%s_cache%s", shape[0], steps,
                                    vae[0], cache == 0 ? "off" : "on");
                            double ips = o.batch() * 1000.0 / best;
                            r.put(key + "_call_ms", best).put(key + "_images_per_s", ips);
                            r.row(String.format(Locale.ROOT, "%s %d steps, %s VAE, embedding cache %s", shape[0],
                                    steps, vae[0].equals("kl") ? "AutoencoderKL" : "AutoencoderTiny",
                                    cache == 0 ? "off" : "on"), "%10.0f ms   %.4f images/s", best, ips);
                            log.printf(Locale.ROOT, "bench: %s: %.0f ms, %.4f images/s%n", key, best, ips);
                        }
                    }
                }
                sd.pipeline().setTextEmbeddingCacheSize(DiffusionPipeline.DEFAULT_TEXT_EMBEDDING_CACHE);
            } finally {
                tiny.close();
            }
        }
    }

    private static double callMs(DiffusionPipeline p, BenchOptions o, List<String> prompts, int steps,
                                 double guidance) {
        List<TorchGenerator> gens = new ArrayList<>();
        for (int j = 0; j < prompts.size(); j++) {
            gens.add(new TorchGenerator(o.seed() + j));
        }
        PipelineCall call = new PipelineCall().prompt(prompts).numInferenceSteps(steps).guidanceScale(guidance)
                .height(o.height()).width(o.width()).generators(gens).outputType("pil")
                .progress(ProgressListener.NONE);
        long start = System.nanoTime();
        ImagePipelineOutput out = (ImagePipelineOutput) p.call(call);
        for (BufferedImage image : out.images()) {
            Png.write(image, Map.of());
        }
        return (System.nanoTime() - start) / 1e6;
    }
}

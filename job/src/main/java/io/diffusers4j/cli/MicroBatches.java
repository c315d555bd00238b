// One `generate` request as several pipeline calls (micro-batches), each image drawn as the single call draws it.
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.SdxlArguments;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a resolved call of {@code total = prompts x num_images_per_prompt} images (diffusers' order: every image
 * of prompt 0, then prompt 1, ...), or of {@code batch_size} samples for the pipelines that draw without a prompt
 * (its resolved call has a {@code batch_size}), into calls of at most {@code batchSize} images. A call over images
 * {@code [first, first + n)} names one prompt per image ({@code num_images_per_prompt = 1}, the per-prompt
 * negative and second prompts repeated alongside), or has {@code batch_size = n}, and draws exactly what the single call draws for them:
 * <ul>
 *   <li>one seed per image (a generator list): the seeds of its images;</li>
 *   <li>one seed for the whole request (diffusers' single generator, whose draws cover the whole batch): a generator
 *       that draws its images' rows of the single generator's whole-batch draws
 *       ({@link TorchGenerator#forBatchRows}) — the initial latents, the noise of image-to-image and inpainting,
 *       and the noise schedulers such as Euler ancestral, DDPM and LCM draw at every step.</li>
 * </ul>
 * A request that fits one call is that call, unchanged.
 */
final class MicroBatches {
    private final PipelineCall resolved;
    private final List<Long> seeds;
    private final int total;
    private final int batchSize;

    /**
     * @param resolved  the whole request, with the pipeline's defaults ({@code withDefaults})
     * @param seeds     one seed for the whole request, or one per image
     * @param batchSize images per call, at least 1
     */
    MicroBatches(PipelineCall resolved, List<Long> seeds, int batchSize) {
        this.resolved = resolved;
        this.seeds = List.copyOf(seeds);
        this.total = resolved.batchSizeArgument() != null ? resolved.batchSize()
                : resolved.prompt().size() * resolved.numImagesPerPrompt();
        this.batchSize = batchSize;
        checkSeeds(seeds.size(), total);
    }

    /** One seed for the whole request, or one per image (diffusers' generator rules). */
    static void checkSeeds(int seeds, long total) {
        if (seeds != 1 && seeds != total) {
            throw new UsageException("--seed given " + seeds + " times for " + total + " images: give one seed for "
                    + "the whole batch or one per image");
        }
    }

    /** The request's images. */
    int total() {
        return total;
    }

    /** The number of calls. */
    int count() {
        return (total + batchSize - 1) / batchSize;
    }

    /** The first image of call {@code k}. */
    int first(int k) {
        return k * batchSize;
    }

    /** The number of images of call {@code k}. */
    int size(int k) {
        return Math.min(batchSize, total - first(k));
    }

    /** Call {@code k} (a fresh call each time: generators advance as they draw). */
    PipelineCall call(int k) {
        if (count() == 1) {
            return withSeeds(resolved.copy(), seeds);
        }
        int first = first(k);
        int n = size(k);
        if (resolved.batchSizeArgument() != null) {
            return generators(resolved.copy().batchSize(n), first, n);
        }
        int perPrompt = resolved.numImagesPerPrompt();
        PipelineCall part = resolved.copy().numImagesPerPrompt(1).prompt(perImage(resolved.prompt(), first, n,
                perPrompt)).negativePrompt(perImage(resolved.negativePrompt(), first, n, perPrompt));
        SdxlArguments sdxl = part.sdxl(); // the copy's own
        sdxl.prompt2(perImage(sdxl.prompt2(), first, n, perPrompt))
                .negativePrompt2(perImage(sdxl.negativePrompt2(), first, n, perPrompt));
        part.prompt3(perImage(resolved.prompt3(), first, n, perPrompt))
                .negativePrompt3(perImage(resolved.negativePrompt3(), first, n, perPrompt));
        return generators(part, first, n);
    }

    /** The generators of images {@code [first, first + n)}: their seeds, or their rows of the single generator. */
    private PipelineCall generators(PipelineCall part, int first, int n) {
        if (seeds.size() == 1) {
            return part.generators(List.of(TorchGenerator.forBatchRows(seeds.get(0), first, n, total)));
        }
        return withSeeds(part, seeds.subList(first, first + n));
    }

    private static PipelineCall withSeeds(PipelineCall call, List<Long> seeds) {
        if (seeds.size() == 1) {
            return call.seed(seeds.get(0));
        }
        return call.seeds(seeds.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * A per-prompt list (one entry for all prompts, or one per prompt; null = not given) as one entry per image of
     * images {@code [first, first + n)}.
     */
    private static List<String> perImage(List<String> perPrompt, int first, int n, int imagesPerPrompt) {
        if (perPrompt == null || perPrompt.isEmpty()) {
            return perPrompt;
        }
        List<String> out = new ArrayList<>(n);
        for (int i = first; i < first + n; i++) {
            out.add(perPrompt.get(Math.min(i / imagesPerPrompt, perPrompt.size() - 1)));
        }
        return out;
    }
}

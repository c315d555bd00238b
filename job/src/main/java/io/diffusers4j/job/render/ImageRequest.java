// One image of a micro-batch: its prompts, negative prompts and own seed.
package io.diffusers4j.job.render;

import java.io.Serializable;

/**
 * One image to render: drawn with its own generator {@code TorchGenerator(seed)}, so it equals the single-image
 * call {@code pipe(prompt, negative_prompt=..., generator=torch.Generator().manual_seed(seed))} whatever batch it
 * shares.
 *
 * @param negativePrompt  null = none (diffusers' {@code negative_prompt=None}, the same as "")
 * @param prompt2         SDXL's {@code prompt_2}, or null (diffusers: the prompt)
 * @param negativePrompt2 SDXL's {@code negative_prompt_2}, or null (diffusers: the negative prompt)
 * @param prompt3         Stable Diffusion 3's {@code prompt_3}, or null (diffusers: the prompt)
 * @param negativePrompt3 Stable Diffusion 3's {@code negative_prompt_3}, or null (diffusers: the negative prompt)
 */
public record ImageRequest(String prompt, String negativePrompt, long seed, String prompt2, String negativePrompt2,
                           String prompt3, String negativePrompt3) implements Serializable {

    /** An image without SDXL's or Stable Diffusion 3's extra prompts. */
    public ImageRequest(String prompt, String negativePrompt, long seed) {
        this(prompt, negativePrompt, seed, null, null, null, null);
    }

    /** Whether it sets an argument only StableDiffusionXLPipeline takes. */
    public boolean hasSecondPrompts() {
        return prompt2 != null || negativePrompt2 != null;
    }
}

// One image of a micro-batch: its prompt, negative prompt and own seed.
package io.diffusers4j.job.render;

import java.io.Serializable;

/**
 * One image to render: drawn with its own generator {@code TorchGenerator(seed)}, so it equals the single-image
 * call {@code pipe(prompt, negative_prompt=..., generator=torch.Generator().manual_seed(seed))} whatever batch it
 * shares.
 *
 * @param negativePrompt null = none (diffusers' {@code negative_prompt=None}, the same as "")
 */
public record ImageRequest(String prompt, String negativePrompt, long seed) implements Serializable {
}

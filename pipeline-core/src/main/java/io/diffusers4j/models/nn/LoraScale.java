// diffusers' call-time LoRA scale (cross_attention_kwargs={"scale": s}, encode_prompt's lora_scale).
package io.diffusers4j.models.nn;

import java.util.function.Supplier;

/**
 * The scale of the current pipeline call on this thread: diffusers multiplies every active adapter's scaling by it
 * for the call ({@code scale_lora_layers}) and divides it back afterwards; here the unfused adapters read it while
 * they run ({@link LoraBranch}), so concurrent calls on other threads keep their own. Fused adapters ignore it, as
 * peft's merged layers do.
 */
public final class LoraScale {
    private static final ThreadLocal<Double> CURRENT = ThreadLocal.withInitial(() -> 1.0);

    private LoraScale() {
    }

    /** The scale in effect on this thread (1.0 outside {@link #with}). */
    public static double current() {
        return CURRENT.get();
    }

    /** Runs {@code body} with {@code scale} as this thread's scale (null = 1.0), restoring the previous one. */
    public static <T> T with(Double scale, Supplier<T> body) {
        Double previous = CURRENT.get();
        CURRENT.set(scale == null ? 1.0 : scale);
        try {
            return body.get();
        } finally {
            CURRENT.set(previous);
        }
    }
}

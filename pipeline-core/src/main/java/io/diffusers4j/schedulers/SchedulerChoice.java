// What a scheduler name (diffusers class, AUTOMATIC1111 sampler or ComfyUI sampler + scheduler) stands for.
package io.diffusers4j.schedulers;

import java.util.List;

/**
 * A scheduler name resolved by {@link Schedulers#resolve(String)}: the diffusers class to build, the config keys the
 * name fixes (as {@code key=value}, applied like diffusers' {@code from_config(config, **kwargs)}), and how the
 * AUTOMATIC1111 web UI writes it in an image's infotext.
 *
 * @param name              the name in its canonical spelling ({@code "DPM++ 2M Karras"}, {@code "dpmpp_2m karras"},
 *                          {@code "EulerDiscreteScheduler"})
 * @param className         the diffusers scheduler class, e.g. {@code DPMSolverMultistepScheduler}
 * @param overrides         the config keys the name fixes, e.g. {@code [use_karras_sigmas=true]}; empty for a class
 * @param a1111Sampler      the web UI's {@code Sampler:} value, e.g. {@code DPM++ 2M Karras}
 * @param a1111ScheduleType the web UI's {@code Schedule type:} value when the sampler name does not carry the noise
 *                          schedule ({@code Karras}, {@code Simple}, {@code SGM Uniform}); null otherwise
 */
public record SchedulerChoice(String name, String className, List<String> overrides, String a1111Sampler,
                              String a1111ScheduleType) {
    public SchedulerChoice {
        overrides = List.copyOf(overrides);
    }

    /** The same choice under another spelling. */
    SchedulerChoice named(String otherName) {
        return new SchedulerChoice(otherName, className, overrides, a1111Sampler, a1111ScheduleType);
    }
}

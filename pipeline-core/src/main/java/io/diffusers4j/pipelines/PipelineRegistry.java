// The pipeline classes by diffusers name: model_index.json's _class_name, and diffusers' AutoPipeline mappings.
package io.diffusers4j.pipelines;

import com.google.gson.JsonElement;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every pipeline class the library builds, registered once: its diffusers name, its family (the pipelines that run
 * on the same components, diffusers' {@code AutoPipelineFor*} mapping keys) and task, and how to build it from a
 * components map and its {@code model_index.json} config values. {@link DiffusionPipeline#fromPretrained} builds
 * the class a checkpoint names; {@link DiffusionPipeline#pipelineFor} finds a family member for another task.
 */
public final class PipelineRegistry {
    /** Builds a pipeline over components, with its model_index.json config keys, owning the components or not. */
    @FunctionalInterface
    public interface Factory {
        DiffusionPipeline create(Map<String, Object> components, Map<String, JsonElement> config,
                                 boolean ownsComponents);
    }

    /**
     * One registered pipeline class. A class that takes a prompt also takes {@code guidance_scale} and
     * {@code num_images_per_prompt}, as every text-conditioned diffusers pipeline does (added here, so that the
     * entries list what sets them apart; {@code PipelineContractTest} checks the result against diffusers).
     *
     * @param accepted the optional argument groups its diffusers {@code __call__} takes
     * @param required the groups a call must set
     */
    public record Entry(String className, String family, PipelineTask task, Set<CallArgument> accepted,
                        Set<CallArgument> required, Factory factory) {
        public Entry {
            if (accepted.contains(CallArgument.PROMPT)) {
                EnumSet<CallArgument> all = EnumSet.copyOf(accepted);
                all.add(CallArgument.GUIDANCE_SCALE);
                all.add(CallArgument.NUM_IMAGES_PER_PROMPT);
                accepted = Collections.unmodifiableSet(all);
            }
        }

        DiffusionPipeline create(Map<String, Object> components, Map<String, JsonElement> config,
                                 boolean ownsComponents) {
            return factory.create(components, config, ownsComponents);
        }
    }

    private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();

    static {
        for (Entry e : List.of(StableDiffusionPipeline.TYPE, StableDiffusionImg2ImgPipeline.TYPE,
                StableDiffusionInpaintPipeline.TYPE, StableDiffusionXLPipeline.TYPE,
                StableDiffusionXLImg2ImgPipeline.TYPE, StableDiffusionXLInpaintPipeline.TYPE,
                LatentConsistencyModelPipeline.TYPE, DDPMPipeline.TYPE, DDIMPipeline.TYPE,
                DanceDiffusionPipeline.TYPE, StableDiffusion3Pipeline.TYPE, FluxPipeline.TYPE)) {
            BY_NAME.put(e.className(), e);
        }
    }

    private PipelineRegistry() {
    }

    /** The registered class names, sorted. */
    public static List<String> classNames() {
        return BY_NAME.keySet().stream().sorted().toList();
    }

    /** The entry of {@code className}, or null. */
    public static Entry get(String className) {
        return BY_NAME.get(className);
    }

    /** The class of {@code family} for {@code task}, or null when the family has none. */
    public static Entry find(String family, PipelineTask task) {
        for (Entry e : BY_NAME.values()) {
            if (e.family().equals(family) && e.task() == task) {
                return e;
            }
        }
        return null;
    }

    /** The classes of {@code family}, in registration order. */
    public static List<Entry> family(String family) {
        return BY_NAME.values().stream().filter(e -> e.family().equals(family)).toList();
    }

    /** The classes of the family of {@code className} other than it that take {@code group}. */
    static List<String> takers(String className, CallArgument group) {
        Entry mine = BY_NAME.get(className);
        if (mine == null) {
            return List.of();
        }
        return family(mine.family()).stream().filter(e -> !e.className().equals(className)
                && e.accepted().contains(group)).map(Entry::className).toList();
    }

    /** The entry of {@code className}; an error listing the supported classes when there is none. */
    static Entry require(String className) {
        Entry e = BY_NAME.get(className);
        if (e == null) {
            throw new IllegalArgumentException("pipeline class '" + className + "' is not supported (supported: "
                    + String.join(", ", classNames()) + ")");
        }
        return e;
    }
}

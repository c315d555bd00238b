// What diffusers' unconditional pipelines share (DDPMPipeline, DDIMPipeline, DanceDiffusionPipeline): unet + scheduler.
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerOutput;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pipeline of two components, {@code unet} and {@code scheduler}, that denoises pure noise without any
 * conditioning: the shared loop ({@link #denoise}: one model call and one scheduler step per timestep, the step-end
 * callback and progress), the components, scheduler swapping, saving and closing. Subclasses give the model call,
 * the scheduler step (with the arguments their diffusers {@code __call__} passes) and the output.
 *
 * <p>Thread safety: a call uses its own copy of the scheduler and its own sub-manager, the model is stateless, so
 * concurrent calls on one pipeline are safe.
 *
 * @param <M> the UNet class
 */
public abstract class UnconditionalPipeline<M extends OwnedModel<?>> extends DiffusionPipeline {
    /** The output types these pipelines produce: pictures or float arrays (there are no latents). */
    private static final List<String> OUTPUT_TYPES = List.of("pil", "np");

    protected final M unet;
    protected volatile Scheduler scheduler;
    /** Parent of every call's sub-manager, on the model's device. */
    protected final NDManager manager;
    private final boolean ownsComponents;

    protected UnconditionalPipeline(Map<String, Object> components, Class<M> unetType, boolean ownsComponents) {
        for (String name : components.keySet()) {
            if (!name.equals("unet") && !name.equals("scheduler") && components.get(name) != null
                    && components.get(name) != PipelineOptions.NONE) {
                throw new IllegalArgumentException(className() + " takes the components unet and scheduler, got "
                        + "also '" + name + "'");
            }
        }
        this.unet = require(components, "unet", unetType);
        this.scheduler = adopt(require(components, "scheduler", Scheduler.class));
        this.ownsComponents = ownsComponents;
        this.manager = NDManager.newBaseManager(unet.device());
    }

    private <T> T require(Map<String, Object> components, String name, Class<T> type) {
        T c = StableDiffusionComponents.cast(components, name, type);
        if (c == null) {
            throw new IllegalArgumentException(className() + " needs the component '" + name + "' ("
                    + type.getSimpleName() + ")");
        }
        return c;
    }

    /** The scheduler this pipeline runs a given one as (DDIMPipeline: converted to DDIM); the scheduler itself here. */
    protected Scheduler adopt(Scheduler given) {
        return given;
    }

    public M unet() {
        return unet;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    /** Swaps the scheduler ({@code pipe.scheduler = ...}), as the pipeline adopts it ({@link #adopt}). */
    @Override
    public void setScheduler(Scheduler replacement) {
        if (replacement == null) {
            throw new IllegalArgumentException("scheduler must not be null");
        }
        this.scheduler = adopt(replacement);
    }

    public Device device() {
        return manager.getDevice();
    }

    @Override
    public Map<String, Object> components() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("unet", unet);
        m.put("scheduler", scheduler);
        return m;
    }

    /** pil or np: the pipelines have no latent space to return. */
    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        if (!OUTPUT_TYPES.contains(call.outputType())) {
            throw new IllegalArgumentException(className() + " has no output_type '" + call.outputType()
                    + "' (it denoises the sample itself, there are no latents): use pil or np");
        }
    }

    /** Only the groups this class takes: the call's batch size defaults to 1 ({@link #withDefaults}). */
    protected static Set<CallArgument> unconditional(CallArgument... more) {
        return more.length == 0 ? CallArgument.setOf(CallArgument.BATCH_SIZE)
                : CallArgument.setOf(CallArgument.BATCH_SIZE, more);
    }

    /** This call's own copy of its scheduler (the call's, as the pipeline adopts it, else the pipeline's). */
    @Override
    protected Scheduler callScheduler(PipelineCall args) {
        return (args.scheduler() != null ? adopt(args.scheduler()) : scheduler).copy();
    }

    /** {@code unet(sample, t).sample}, attached to the sample's manager. */
    protected abstract NDArray predict(NDArray sample, double t);

    /** {@code scheduler.step(model_output, t, sample, ...)} with the arguments this pipeline's call passes. */
    protected abstract SchedulerOutput step(Scheduler s, NDArray modelOutput, double t, NDArray sample,
                                            PipelineCall args);

    /**
     * The denoising loop over {@code s.timesteps()}: each iteration in a sub-manager of {@code m}, whose only
     * survivor is the new sample (attached to {@code m}).
     */
    protected NDArray denoise(NDManager m, Scheduler s, NDArray sample, PipelineCall args) {
        return DenoisingLoop.run(m, s.timesteps(), sample, args, progress(args), (step, i, t, current) ->
                step(s, predict(current, t), t, current, args).prevSample());
    }

    @Override
    public void close() {
        super.close();
        manager.close();
        if (ownsComponents) {
            ComponentLoader.closeAll(components());
        }
    }
}

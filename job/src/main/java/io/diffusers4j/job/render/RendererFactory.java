// Builds the Renderer of a PipelineSpec on an executor (named by class in the spec; needs a no-arg constructor).
package io.diffusers4j.job.render;

/** Creates a {@link Renderer} for a spec on a device; called once per spec and device per executor JVM. */
public interface RendererFactory {
    /**
     * @param device "cpu" or "gpu:N" (the GPU address Spark assigned to the task)
     */
    Renderer create(PipelineSpec spec, String device);

    /** Instantiates the factory a spec names. */
    static RendererFactory forSpec(PipelineSpec spec) {
        try {
            Class<?> c = Class.forName(spec.renderer(), true, Thread.currentThread().getContextClassLoader() != null
                    ? Thread.currentThread().getContextClassLoader() : RendererFactory.class.getClassLoader());
            return (RendererFactory) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("renderer '" + spec.renderer() + "' is not a RendererFactory with a "
                    + "public no-arg constructor on the executor classpath: " + e, e);
        }
    }
}

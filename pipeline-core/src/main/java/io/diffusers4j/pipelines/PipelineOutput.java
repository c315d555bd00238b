// diffusers.utils.BaseOutput: what a pipeline call returns.
package io.diffusers4j.pipelines;

/** The host-side result of a pipeline call ({@link ImagePipelineOutput} for the image pipelines). */
public interface PipelineOutput {
    /** The call's {@code output_type}. */
    String outputType();

    /** How many items (images) the call produced. */
    int count();
}

// diffusers.pipelines.pipeline_utils.DiffusionPipeline.
package io.diffusers4j.pipelines;

import java.nio.file.Path;
import java.util.Map;

/** Base of every pipeline: loading by {@code model_index.json}, components, saving, closing native memory. */
public abstract class DiffusionPipeline implements AutoCloseable {
    /** Loads the pipeline class named by {@code model_index.json} from a local folder or a Hub id. */
    public static DiffusionPipeline fromPretrained(String pathOrRepoId, PipelineOptions options) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The components by name (sharing them builds another pipeline without reloading weights). */
    public abstract Map<String, Object> components();

    /** Writes model_index.json, every component config and safetensors weights (optionally a variant). */
    public abstract void savePretrained(Path dir, String variant) throws java.io.IOException;

    @Override
    public abstract void close();
}

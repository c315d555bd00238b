// Test helper: a custom pipeline class found on the classpath (DiffusionPipeline.fromPretrained's custom_pipeline).
package io.diffusers4j.pipelines;

import java.nio.file.Path;
import java.util.Map;

/** Holds the components the loader built for it (its public Map constructor) and closes them. */
public final class ClasspathPipeline extends DiffusionPipeline {
    private final Map<String, Object> components;

    public ClasspathPipeline(Map<String, Object> components) {
        this.components = components;
    }

    @Override
    public PipelineDefaults defaults() {
        return new PipelineDefaults(1, 1.0, null, null, null, 1);
    }

    @Override
    public PipelineOutput call(PipelineCall call) {
        throw new UnsupportedOperationException("test pipeline");
    }

    @Override
    public Map<String, Object> components() {
        return components;
    }

    @Override
    public void savePretrained(Path dir, String variant) {
        throw new UnsupportedOperationException("test pipeline");
    }

    @Override
    public void close() {
        super.close();
        ComponentLoader.closeAll(components);
    }
}

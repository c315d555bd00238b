// The pipeline under benchmark and the Stable Diffusion components whose stages the benchmark times.
package io.diffusers4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.tokenizers.CLIPTokenizer;

import java.util.Map;

/**
 * A loaded pipeline and its {@code unet}, {@code vae}, {@code text_encoder} and {@code tokenizer} components (the
 * stages timed one by one); the end-to-end figures go through the pipeline's own call.
 */
record BenchPipeline(DiffusionPipeline pipeline, UNet2DConditionModel unet, AutoencoderKL vae,
                     CLIPTextEncoder textEncoder, CLIPTokenizer tokenizer) implements AutoCloseable {

    /** The components of {@code pipeline}; an error naming what is missing when it has no SD stages to time. */
    static BenchPipeline of(DiffusionPipeline pipeline) {
        Map<String, Object> c = pipeline.components();
        try {
            return new BenchPipeline(pipeline, component(c, "unet", UNet2DConditionModel.class),
                    component(c, "vae", AutoencoderKL.class), component(c, "text_encoder", CLIPTextEncoder.class),
                    component(c, "tokenizer", CLIPTokenizer.class));
        } catch (IllegalArgumentException e) {
            pipeline.close();
            throw new IllegalArgumentException(pipeline.className() + ": " + e.getMessage()
                    + "; the benchmark times the UNet, VAE and CLIP text encoder of a Stable Diffusion checkpoint");
        }
    }

    private static <T> T component(Map<String, Object> components, String name, Class<T> type) {
        Object value = components.get(name);
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException("no " + type.getSimpleName() + " component '" + name + "'");
        }
        return type.cast(value);
    }

    int vaeScaleFactor() {
        return pipeline.defaults().vaeScaleFactor();
    }

    DataType dtype() {
        return unet.dtype();
    }

    Device device() {
        return unet.stateDict().values().iterator().next().getDevice();
    }

    @Override
    public void close() {
        pipeline.close();
    }
}

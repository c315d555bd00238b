// What diffusers' pipelines use of a VAE (vae.config.*, vae.encode, vae.decode), shared by AutoencoderKL and AutoencoderTiny.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;
import java.util.Map;

/**
 * A VAE component as the Stable Diffusion pipelines see it: the {@code vae.config} values they read, {@code decode},
 * and {@code retrieve_latents(vae.encode(x), generator)}. The pipelines apply {@code scaling_factor} (and
 * {@code shift_factor}, {@code latents_mean/std}) themselves, as in diffusers.
 */
public interface VaeModel extends AutoCloseable {
    /** The typed {@code config.json} (saved back by {@code save_pretrained}). */
    ConfigBase config();

    /** The diffusers class, {@code model_index.json}'s second entry. */
    default String className() {
        return config().defaultClassName();
    }

    DataType dtype();

    /** {@code config.latent_channels}. */
    int latentChannels();

    /** {@code 2 ** (len(config.block_out_channels) - 1)}: the pipelines' vae_scale_factor. */
    int scaleFactor();

    /** {@code config.scaling_factor}. */
    double scalingFactor();

    /** {@code config.shift_factor}, or null when the config has none. */
    Double shiftFactor();

    /** {@code config.latents_mean} (SDXL-style per-channel statistics), or null. */
    default List<Double> latentsMean() {
        return null;
    }

    /** {@code config.latents_std}, or null. */
    default List<Double> latentsStd() {
        return null;
    }

    /** {@code config.force_upcast}: keep the VAE in float32 under a float16 pipeline. */
    boolean forceUpcast();

    /** {@code vae.decode(z).sample}; the result is in {@code z}'s manager. */
    NDArray decode(NDArray z);

    /**
     * {@code retrieve_latents(vae.encode(x), generator, sample_mode="sample")}: a sample of the posterior for a KL
     * VAE (one generator for the batch, or one per sample; drawn as diffusers draws), the encoder's latents for
     * AutoencoderTiny (no randomness). Not yet multiplied by {@code scaling_factor}.
     */
    NDArray retrieveLatents(NDArray x, List<TorchGenerator> generators);

    /** The weights by their checkpoint keys. */
    Map<String, NDArray> stateDict();

    /** The options of the attention layers (AutoencoderTiny has none: set, but unused). */
    AttentionOptions attentionOptions();

    /** diffusers' {@code enable_slicing}: encode/decode one sample of the batch at a time. */
    void enableSlicing();

    void disableSlicing();

    /** diffusers' {@code enable_tiling}. */
    void enableTiling();

    void disableTiling();

    @Override
    void close();
}

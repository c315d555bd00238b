// Port of diffusers.models.autoencoders.autoencoder_tiny.AutoencoderTiny (TAESD / TAESDXL).
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.utils.TorchGenerator;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightLoadException;
import io.diffusers4j.weights.WeightScope;

import java.util.List;
import java.util.Map;

/**
 * The tiny distilled autoencoder ({@code madebyollin/taesd} layout): {@link #encode} images in [-1, 1] to latents
 * (no posterior: {@code AutoencoderTinyOutput.latents}), {@link #decode} latents to images. Keys {@code encoder.layers.N.*}
 * and {@code decoder.layers.N.*} map 1:1 to the checkpoint. A drop-in VAE for SD / SDXL pipelines (TAESD /
 * TAESDXL): its {@code scaling_factor} is 1.0 and the pipelines divide by it as for AutoencoderKL.
 *
 * <p>Slicing decodes one sample at a time (diffusers 0.30.3's sliced {@code decode} decodes the whole batch once
 * per sample, a bug whose output has B x B images; here the output is the unsliced one). Tiling
 * ({@code _tiled_encode}/{@code _tiled_decode}) is not implemented: {@link #enableTiling()} refuses.
 *
 * <p>Memory as for AutoencoderKL: a loaded model owns a capped sub-manager for its weights that {@link #close()}
 * frees; calls free their temporaries and put results in the input's manager.
 */
public final class AutoencoderTiny implements VaeModel {
    private final AutoencoderTinyConfig config;
    private final WeightScope weights;
    private final NDManager ownedManager;
    private final DataType dtype;
    private final AttentionOptions attentionOptions = new AttentionOptions();
    private final EncoderTiny encoder;
    private final DecoderTiny decoder;
    private volatile boolean useSlicing;

    private AutoencoderTiny(AutoencoderTinyConfig cfg, WeightScope root, NDManager owned) {
        cfg.validate();
        // diffusers' __init__ ends with register_to_config(block_out_channels=decoder_block_out_channels) and
        // register_to_config(force_upcast=False): the config saves back as diffusers saves it
        cfg.blockOutChannels = cfg.decoderBlockOutChannels.clone();
        cfg.forceUpcast = false;
        this.config = cfg;
        this.weights = root;
        this.ownedManager = owned;
        this.dtype = root.dtype();
        this.encoder = new EncoderTiny(root.pp("encoder"), cfg);
        this.decoder = new DecoderTiny(root.pp("decoder"), cfg);
    }

    /** Builds the model on {@code root} without finishing it (call {@code root.finish()} for strict loading). */
    public static AutoencoderTiny load(AutoencoderTinyConfig cfg, WeightScope root) {
        return new AutoencoderTiny(cfg, root, null);
    }

    /**
     * Loads strictly from {@code source} into a new sub-manager of {@code manager} that the model owns: throws
     * {@link WeightLoadException} listing every missing, unused and mis-shaped key.
     */
    public static AutoencoderTiny load(AutoencoderTinyConfig cfg, TensorSource source, NDManager manager,
                                       DataType dtype) {
        cfg.validate();
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new AutoencoderTiny(cfg, root, owned));
    }

    /** Seeded random weights in a new sub-manager of {@code manager} that the model owns. */
    public static AutoencoderTiny randomInit(AutoencoderTinyConfig cfg, long seed, NDManager manager,
                                             DataType dtype) {
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new AutoencoderTiny(cfg, root,
                owned));
    }

    @Override
    public AutoencoderTinyConfig config() {
        return config;
    }

    @Override
    public DataType dtype() {
        return dtype;
    }

    @Override
    public int latentChannels() {
        return config.latentChannels;
    }

    @Override
    public int scaleFactor() {
        return config.scaleFactor();
    }

    @Override
    public double scalingFactor() {
        return config.scalingFactor;
    }

    @Override
    public Double shiftFactor() {
        return config.shiftFactor;
    }

    /** diffusers registers {@code force_upcast=False} for AutoencoderTiny whatever the config says. */
    @Override
    public boolean forceUpcast() {
        return false;
    }

    @Override
    public Map<String, NDArray> stateDict() {
        return weights.tensors();
    }

    @Override
    public AttentionOptions attentionOptions() {
        return attentionOptions;
    }

    @Override
    public void enableSlicing() {
        useSlicing = true;
    }

    @Override
    public void disableSlicing() {
        useSlicing = false;
    }

    @Override
    public void enableTiling() {
        throw new UnsupportedOperationException("tiled decoding is not implemented for AutoencoderTiny; decode "
                + "without tiling (its memory is a fraction of AutoencoderKL's) or use slicing");
    }

    @Override
    public void disableTiling() {
    }

    /** {@code vae.encode(x).latents}: [B, in_channels, H, W] in [-1, 1] → [B, latent_channels, H/f, W/f]. */
    public NDArray encode(NDArray x) {
        VaeInputs.check(x, config.inChannels, "x", dtype);
        return ForwardScope.run(x, input -> useSlicing && input.getShape().get(0) > 1
                ? VaeInputs.perSample(input, encoder::forward) : encoder.forward(input));
    }

    /** {@code vae.decode(z).sample}; the result is in {@code z}'s manager. */
    @Override
    public NDArray decode(NDArray z) {
        VaeInputs.check(z, config.latentChannels, "z", dtype);
        return ForwardScope.run(z, input -> useSlicing && input.getShape().get(0) > 1
                ? VaeInputs.perSample(input, decoder::forward) : decoder.forward(input));
    }

    /** {@code retrieve_latents}: AutoencoderTiny's output has {@code latents} and no distribution to sample. */
    @Override
    public NDArray retrieveLatents(NDArray x, List<TorchGenerator> generators) {
        return encode(x);
    }

    /** diffusers' {@code scale_latents}: raw latents → [0, 1] ({@code x / (2 * latent_magnitude) + latent_shift}). */
    public NDArray scaleLatents(NDArray x) {
        return x.div((float) (2 * config.latentMagnitude)).addi((float) config.latentShift).clip(0, 1);
    }

    /** diffusers' {@code unscale_latents}: [0, 1] → raw latents. */
    public NDArray unscaleLatents(NDArray x) {
        return x.sub((float) config.latentShift).muli((float) (2 * config.latentMagnitude));
    }

    /**
     * diffusers' {@code forward}: encode, quantise the latents to 8 bits through {@link #scaleLatents}, unscale,
     * decode.
     */
    public NDArray forward(NDArray sample) {
        return ForwardScope.run(sample, input -> {
            NDArray enc = encode(input);
            NDArray q = ForwardScope.replace(enc, scaleLatents(enc));
            q = ForwardScope.replace(q, q.muli(255).round().divi(255.0f));
            q = ForwardScope.replace(q, unscaleLatents(q));
            return ForwardScope.replace(q, decode(q));
        });
    }



    @Override
    public void close() {
        if (ownedManager != null) {
            ownedManager.close();
        }
    }
}

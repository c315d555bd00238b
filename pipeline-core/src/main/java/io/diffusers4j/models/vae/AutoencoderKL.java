// Port of diffusers.models.autoencoders.autoencoder_kl.AutoencoderKL (encode, decode, slicing, tiling).
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.utils.TorchGenerator;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightLoadException;
import io.diffusers4j.weights.WeightScope;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The KL autoencoder of Stable Diffusion: {@link #encode} images {@code [B, in_channels, H, W]} (in [-1, 1]) to the
 * posterior {@link DiagonalGaussianDistribution}, {@link #decode} latents {@code [B, latent_channels, h, w]} to
 * images. Scaling by {@code scaling_factor} / {@code shift_factor} is the pipeline's job (read them from
 * {@link #config()}), as in diffusers.
 *
 * <p>Options as in diffusers: {@link #enableSlicing()} (one sample at a time), {@link #enableTiling()} (overlapping
 * tiles of {@code sample_size} pixels / {@code sample_size / 2^(blocks-1)} latents with overlap factor 0.25, blended
 * exactly like diffusers' {@code tiled_encode}/{@code tiled_decode}), and the attention options of the mid-block
 * attentions ({@link #attentionOptions()}).
 *
 * <p>Memory: as for the UNet, models from {@link #load(AutoencoderKLConfig, TensorSource, NDManager, DataType)} and
 * {@link #randomInit} own a (capped) sub-manager for their weights that {@link #close()} frees; models from
 * {@link #load(AutoencoderKLConfig, WeightScope)} use the caller's manager. Calls free their temporaries and put
 * results in the input's manager.
 */
public final class AutoencoderKL implements VaeModel {
    private static final Pattern DEPRECATED_ATTENTION =
            Pattern.compile("(.*mid_block\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)\\.(weight|bias)");

    private final AutoencoderKLConfig config;
    private final WeightScope weights;
    private final NDManager ownedManager;
    private final DataType dtype;
    private final AttentionOptions attentionOptions = new AttentionOptions();
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;
    private volatile boolean useSlicing;
    private volatile boolean useTiling;
    private volatile int tileSampleMinSize;
    private volatile int tileLatentMinSize;
    private volatile double tileOverlapFactor = 0.25;

    private AutoencoderKL(AutoencoderKLConfig cfg, WeightScope root, NDManager owned) {
        cfg.validate();
        this.config = cfg;
        this.weights = root;
        this.ownedManager = owned;
        this.dtype = root.dtype();
        int latent = cfg.latentChannels;
        this.encoder = new Encoder(root.pp("encoder"), cfg, attentionOptions);
        this.decoder = new Decoder(root.pp("decoder"), cfg, attentionOptions);
        this.quantConv = cfg.useQuantConv ? Conv2d.load(root.pp("quant_conv"), 2 * latent, 2 * latent, 1, 1, 0)
                : null;
        this.postQuantConv = cfg.usePostQuantConv
                ? Conv2d.load(root.pp("post_quant_conv"), latent, latent, 1, 1, 0) : null;
        this.tileSampleMinSize = cfg.sampleSizeValue();
        this.tileLatentMinSize = (int) (cfg.sampleSizeValue() / Math.pow(2, cfg.blockOutChannels.length - 1));
    }

    /** Builds the model on {@code root} without finishing it (call {@code root.finish()} for strict loading). */
    public static AutoencoderKL load(AutoencoderKLConfig cfg, WeightScope root) {
        return new AutoencoderKL(cfg, root, null);
    }

    /**
     * Loads strictly from {@code source} into a new sub-manager of {@code manager} that the model owns: throws
     * {@link WeightLoadException} listing every missing, unused and mis-shaped key. Checkpoints
     * with the pre-0.14 attention names ({@code query}, {@code key}, {@code value}, {@code proj_attn}) load too.
     */
    public static AutoencoderKL load(AutoencoderKLConfig cfg, TensorSource source, NDManager manager,
                                     DataType dtype) {
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new AutoencoderKL(cfg, root, owned));
    }

    /** Seeded random weights (WeightScope.randomInit) in a new sub-manager of {@code manager} that the model owns. */
    public static AutoencoderKL randomInit(AutoencoderKLConfig cfg, long seed, NDManager manager, DataType dtype) {
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new AutoencoderKL(cfg, root,
                owned));
    }

    @Override
    public AutoencoderKLConfig config() {
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

    @Override
    public List<Double> latentsMean() {
        return config.latentsMean;
    }

    @Override
    public List<Double> latentsStd() {
        return config.latentsStd;
    }

    @Override
    public boolean forceUpcast() {
        return config.forceUpcast;
    }

    /** {@code retrieve_latents(vae.encode(x), generator)}: a sample of the posterior. */
    @Override
    public NDArray retrieveLatents(NDArray x, List<TorchGenerator> generators) {
        try (DiagonalGaussianDistribution posterior = encode(x)) {
            return posterior.sample(generators);
        }
    }

    /** The state dict with diffusers' current key names (deprecated attention names mapped to to_q/to_k/...). */
    @Override
    public Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> entry : weights.tensors().entrySet()) {
            Matcher matcher = DEPRECATED_ATTENTION.matcher(entry.getKey());
            String key = entry.getKey();
            if (matcher.matches()) {
                for (String[] pair : Attention.DEPRECATED_NAMES) {
                    if (pair[0].equals(matcher.group(2))) {
                        key = matcher.group(1) + pair[1] + "." + matcher.group(3);
                    }
                }
            }
            out.put(key, entry.getValue());
        }
        return out;
    }

    @Override
    public AttentionOptions attentionOptions() {
        return attentionOptions;
    }

    /** diffusers' {@code enable_slicing}: encode/decode one sample of the batch at a time. */
    @Override
    public void enableSlicing() {
        useSlicing = true;
    }

    @Override
    public void disableSlicing() {
        useSlicing = false;
    }

    /** diffusers' {@code enable_tiling} with its tile sizes ({@code sample_size} pixels) and overlap 0.25. */
    @Override
    public void enableTiling() {
        useTiling = true;
    }

    /**
     * Tiling with other tile sizes, like setting diffusers' {@code tile_sample_min_size},
     * {@code tile_latent_min_size} and {@code tile_overlap_factor} attributes.
     */
    public void enableTiling(int tileSampleMinSize, int tileLatentMinSize, double tileOverlapFactor) {
        if (tileSampleMinSize < 1 || tileLatentMinSize < 1 || !(tileOverlapFactor >= 0 && tileOverlapFactor < 1)) {
            throw new IllegalArgumentException("tile sizes must be >= 1 and the overlap factor in [0, 1), got "
                    + tileSampleMinSize + ", " + tileLatentMinSize + ", " + tileOverlapFactor);
        }
        this.tileSampleMinSize = tileSampleMinSize;
        this.tileLatentMinSize = tileLatentMinSize;
        this.tileOverlapFactor = tileOverlapFactor;
        useTiling = true;
    }

    @Override
    public void disableTiling() {
        useTiling = false;
    }

    public int tileSampleMinSize() {
        return tileSampleMinSize;
    }

    public int tileLatentMinSize() {
        return tileLatentMinSize;
    }

    /** {@code vae.encode(x).latent_dist}; its arrays are in {@code x}'s manager. */
    public DiagonalGaussianDistribution encode(NDArray x) {
        VaeInputs.check(x, config.inChannels, "x", dtype);
        NDArray moments = ForwardScope.run(x, input -> {
            if (useTiling && (input.getShape().get(3) > tileSampleMinSize
                    || input.getShape().get(2) > tileSampleMinSize)) {
                return tiledEncode(input);
            }
            NDArray h = useSlicing && input.getShape().get(0) > 1 ? VaeInputs.perSample(input, encoder::forward)
                    : encoder.forward(input);
            return quantConv == null ? h : ForwardScope.replace(h, quantConv.forward(h));
        });
        return new DiagonalGaussianDistribution(moments);
    }

    /** {@code vae.decode(z).sample}; the result is in {@code z}'s manager. */
    public NDArray decode(NDArray z) {
        VaeInputs.check(z, config.latentChannels, "z", dtype);
        return ForwardScope.run(z, input -> useSlicing && input.getShape().get(0) > 1
                ? VaeInputs.perSample(input, this::decodeOne) : decodeOne(input));
    }

    /** diffusers' {@code _decode}: tiled when the latents exceed the tile, else post_quant_conv + decoder. */
    private NDArray decodeOne(NDArray z) {
        if (useTiling && (z.getShape().get(3) > tileLatentMinSize || z.getShape().get(2) > tileLatentMinSize)) {
            return tiledDecode(z);
        }
        return decodeTile(z);
    }

    private NDArray decodeTile(NDArray z) {
        if (postQuantConv == null) {
            return decoder.forward(z);
        }
        try (NDArray projected = postQuantConv.forward(z)) {
            return decoder.forward(projected);
        }
    }

    private NDArray encodeTile(NDArray x) {
        NDArray h = encoder.forward(x);
        return quantConv == null ? h : ForwardScope.replace(h, quantConv.forward(h));
    }

    private NDArray tiledDecode(NDArray z) {
        int overlap = (int) (tileLatentMinSize * (1 - tileOverlapFactor));
        int blendExtent = (int) (tileSampleMinSize * tileOverlapFactor);
        int rowLimit = tileSampleMinSize - blendExtent;
        return VaeTiling.tiled(z, tileLatentMinSize, overlap, blendExtent, rowLimit, this::decodeTile);
    }

    private NDArray tiledEncode(NDArray x) {
        int overlap = (int) (tileSampleMinSize * (1 - tileOverlapFactor));
        int blendExtent = (int) (tileLatentMinSize * tileOverlapFactor);
        int rowLimit = tileLatentMinSize - blendExtent;
        return VaeTiling.tiled(x, tileSampleMinSize, overlap, blendExtent, rowLimit, this::encodeTile);
    }



    @Override
    public void close() {
        if (ownedManager != null) {
            ownedManager.close();
        }
    }
}

// Port of diffusers.models.unets.unet_1d.UNet1DModel (the Dance Diffusion audio UNet).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.models.blocks.GaussianFourierProjection;
import io.diffusers4j.models.blocks.Timesteps;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * The 1-D UNet of Dance Diffusion, built from a {@link UNet1DConfig} and a weight scope with diffusers' keys
 * ({@code down_blocks.2.attentions.0.query.weight}, {@code mid_block.down.kernel}, ...), computing what diffusers
 * 0.30's {@code UNet1DModel.forward(sample, timestep)} computes: the time embedding (Gaussian Fourier features, or
 * sinusoidal) repeated along the length, the down blocks (the first concatenates that embedding to the sample), the
 * mid block and the up blocks, each concatenating its skip connection.
 *
 * <p>Memory: as the other models: the weights live in a sub-manager the model owns; every forward runs in a
 * sub-manager of the sample's manager and only the result is attached to it.
 */
public final class UNet1DModel extends OwnedModel<UNet1DConfig> {
    private final GaussianFourierProjection fourier;
    private final Timesteps positional;
    private final List<UNet1DBlocks.Block> downBlocks = new ArrayList<>();
    private final UNet1DBlocks.Block midBlock;
    private final List<UNet1DBlocks.Block> upBlocks = new ArrayList<>();

    private UNet1DModel(UNet1DConfig cfg, WeightScope root, NDManager owned) {
        super(cfg, root, owned);
        cfg.validate();
        int n = cfg.numBlocks();
        int[] boc = cfg.blockOutChannels;
        if (cfg.timeEmbeddingType.equals("fourier")) {
            this.fourier = new GaussianFourierProjection(root.pp("time_proj"), UNet1DConfig.FOURIER_EMBEDDING_SIZE,
                    false, cfg.flipSinToCos);
            this.positional = null;
        } else {
            this.fourier = null;
            this.positional = new Timesteps(root.manager(), boc[0], cfg.flipSinToCos, cfg.freqShift);
        }
        int output = cfg.inChannels;
        for (int i = 0; i < n; i++) {
            int input = output + (i == 0 ? cfg.extraInChannels : 0);
            output = boc[i];
            downBlocks.add(UNet1DBlocks.getDownBlock(cfg.downBlockTypes.get(i), root.pp("down_blocks").pp(i), input,
                    output));
        }
        this.midBlock = UNet1DBlocks.getMidBlock(cfg.midBlockType, root.pp("mid_block"), boc[n - 1], boc[n - 1],
                boc[n - 1]);
        output = boc[n - 1];
        for (int i = 0; i < n; i++) {
            int prev = output;
            output = i < n - 1 ? boc[n - 2 - i] : cfg.outChannels;
            upBlocks.add(UNet1DBlocks.getUpBlock(cfg.upBlockTypes.get(i), root.pp("up_blocks").pp(i), prev, output));
        }
    }

    /** Builds the model on {@code root} without finishing it (call {@code root.finish()} for strict loading). */
    public static UNet1DModel load(UNet1DConfig cfg, WeightScope root) {
        return new UNet1DModel(cfg, root, null);
    }

    /** Loads strictly from {@code source} into a new sub-manager of {@code manager} that the model owns. */
    public static UNet1DModel load(UNet1DConfig cfg, TensorSource source, NDManager manager, DataType dtype) {
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new UNet1DModel(cfg, root, owned));
    }

    /** Seeded random weights (the resampling kernels keep their fixed values) in a sub-manager the model owns. */
    public static UNet1DModel randomInit(UNet1DConfig cfg, long seed, NDManager manager, DataType dtype) {
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new UNet1DModel(cfg, root,
                owned));
    }

    /** The number of up blocks (Dance Diffusion's {@code down_scale_factor} is {@code 2 ** this}). */
    public int numUpBlocks() {
        return upBlocks.size();
    }

    /** {@code unet(sample, timestep).sample} for a timestep given as a number (float32, as Dance Diffusion's). */
    public NDArray forward(NDArray sample, double timestep) {
        try (NDManager tmp = sample.getManager().newSubManager()) {
            return forward(sample, tmp.create(new float[] {(float) timestep}));
        }
    }

    /**
     * {@code sample}: {@code [B, in_channels, L]} in the model's dtype; {@code timestep}: 0-d, {@code [1]} or
     * {@code [B]}. The result ({@code [B, out_channels, L]}) is attached to the sample's manager.
     */
    public NDArray forward(NDArray sample, NDArray timestep) {
        Shape shape = sample.getShape();
        if (shape.dimension() != 3 || shape.get(1) != config().inChannels) {
            throw new IllegalArgumentException("sample must be [batch, " + config().inChannels + ", length], got "
                    + shape);
        }
        requireDtype(sample, "sample");
        long count = timestep.getShape().size();
        if (timestep.getShape().dimension() > 1 || count != 1 && count != shape.get(0)) {
            throw new IllegalArgumentException("timestep must be 0-d, [1] or [batch=" + shape.get(0) + "], got shape "
                    + timestep.getShape());
        }
        return ForwardScope.run(sample.getManager(), sub -> compute(sample, timestep), sample, timestep);
    }

    private NDArray compute(NDArray sample, NDArray timestep) {
        long batch = sample.getShape().get(0);
        long length = sample.getShape().get(2);
        // 1. time: [T, E] -> repeated along the length -> broadcast to the batch
        NDArray timesteps = timestep.reshape(-1);
        NDArray projected = fourier != null ? fourier.forward(timesteps) : positional.forward(timesteps);
        long channels = projected.getShape().get(1);
        NDArray temb = projected.reshape(-1, channels, 1).broadcast(projected.getShape().get(0), channels, length)
                .toType(dtype(), false).broadcast(batch, channels, length);

        // 2. down
        List<NDArray> res = new ArrayList<>();
        NDArray h = sample;
        for (UNet1DBlocks.Block block : downBlocks) {
            h = block.forward(h, null, temb);
            res.add(h);
        }
        // 3. mid
        h = midBlock.forward(h, null, temb);
        // 4. up: each block takes the newest skip connection
        for (UNet1DBlocks.Block block : upBlocks) {
            h = block.forward(h, res.remove(res.size() - 1), temb);
        }
        return h;
    }
}

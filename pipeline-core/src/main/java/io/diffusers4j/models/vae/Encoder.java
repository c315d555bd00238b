// Port of diffusers.models.autoencoders.vae.Encoder.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.DownEncoderBlock2D;
import io.diffusers4j.models.blocks.UNetMidBlock2D;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code conv_in} → {@code down_blocks.i} (DownEncoderBlock2D, eps 1e-6, downsampling padding 0) → {@code mid_block}
 * (UNetMidBlock2D with one-head attention) → {@code conv_norm_out} → SiLU → {@code conv_out} to
 * {@code 2 * out_channels} channels (mean and log-variance, {@code double_z}).
 */
public final class Encoder {
    public static final List<String> SUPPORTED_DOWN = List.of("DownEncoderBlock2D");

    private final Conv2d convIn;
    private final List<DownEncoderBlock2D> downBlocks = new ArrayList<>();
    private final UNetMidBlock2D midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    public Encoder(WeightScope scope, int inChannels, int outChannels, List<String> downBlockTypes,
                   int[] blockOutChannels, int layersPerBlock, int normNumGroups, String actFn, boolean doubleZ,
                   boolean midBlockAddAttention, AttentionOptions options) {
        this.convIn = Conv2d.load(scope.pp("conv_in"), inChannels, blockOutChannels[0], 3, 1, 1);
        int output = blockOutChannels[0];
        for (int i = 0; i < downBlockTypes.size(); i++) {
            String type = downBlockTypes.get(i);
            if (!SUPPORTED_DOWN.contains(type)) {
                throw new IllegalArgumentException("unsupported VAE down block type '" + type + "' (supported: "
                        + String.join(", ", SUPPORTED_DOWN) + ")");
            }
            int input = output;
            output = blockOutChannels[i];
            boolean last = i == blockOutChannels.length - 1;
            downBlocks.add(new DownEncoderBlock2D(scope.pp("down_blocks").pp(i), input, output, layersPerBlock, 1e-6,
                    "default", actFn, normNumGroups, 1.0, !last, 0));
        }
        int top = blockOutChannels[blockOutChannels.length - 1];
        this.midBlock = new UNetMidBlock2D(scope.pp("mid_block"), top, null, 1e-6, "default", actFn, normNumGroups,
                null, midBlockAddAttention, top, 1.0, 1, options);
        this.convNormOut = GroupNorm.load(scope.pp("conv_norm_out"), normNumGroups, top, 1e-6);
        this.convOut = Conv2d.load(scope.pp("conv_out"), top, doubleZ ? 2 * outChannels : outChannels, 3, 1, 1);
    }

    /** {@code x}: [B, in_channels, H, W] → [B, 2*latent, H/f, W/f]; the result is in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        return ForwardScope.run(x, input -> {
            NDArray h = convIn.forward(input);
            for (DownEncoderBlock2D block : downBlocks) {
                h = ForwardScope.replace(h, block.forward(h));
            }
            h = ForwardScope.replace(h, midBlock.forward(h, null));
            h = ForwardScope.replace(h, convNormOut.forward(h));
            h = ForwardScope.replace(h, Activations.silu(h));
            return ForwardScope.replace(h, convOut.forward(h));
        });
    }
}

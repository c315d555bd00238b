// Port of diffusers.models.autoencoders.vae.Decoder (norm_type "group").
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.UNetMidBlock2D;
import io.diffusers4j.models.blocks.UpDecoderBlock2D;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code conv_in} → {@code mid_block} → {@code up_blocks.i} (UpDecoderBlock2D with {@code layers_per_block + 1}
 * resnets, over the reversed channels) → {@code conv_norm_out} → SiLU → {@code conv_out}.
 */
public final class Decoder {
    public static final List<String> SUPPORTED_UP = List.of("UpDecoderBlock2D");

    private final Conv2d convIn;
    private final UNetMidBlock2D midBlock;
    private final List<UpDecoderBlock2D> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    public Decoder(WeightScope scope, int inChannels, int outChannels, List<String> upBlockTypes,
                   int[] blockOutChannels, int layersPerBlock, int normNumGroups, String actFn,
                   boolean midBlockAddAttention, AttentionOptions options) {
        int n = blockOutChannels.length;
        int top = blockOutChannels[n - 1];
        this.convIn = Conv2d.load(scope.pp("conv_in"), inChannels, top, 3, 1, 1);
        this.midBlock = new UNetMidBlock2D(scope.pp("mid_block"), top, null, 1e-6, "default", actFn, normNumGroups,
                null, midBlockAddAttention, top, 1.0, 1, options);
        int output = top;
        for (int i = 0; i < upBlockTypes.size(); i++) {
            String type = upBlockTypes.get(i);
            if (!SUPPORTED_UP.contains(type)) {
                throw new IllegalArgumentException("unsupported VAE up block type '" + type + "' (supported: "
                        + String.join(", ", SUPPORTED_UP) + ")");
            }
            int prev = output;
            output = blockOutChannels[n - 1 - i];
            boolean last = i == n - 1;
            upBlocks.add(new UpDecoderBlock2D(scope.pp("up_blocks").pp(i), prev, output, layersPerBlock + 1, 1e-6,
                    "group", actFn, normNumGroups, 1.0, !last, null));
        }
        this.convNormOut = GroupNorm.load(scope.pp("conv_norm_out"), normNumGroups, blockOutChannels[0], 1e-6);
        this.convOut = Conv2d.load(scope.pp("conv_out"), blockOutChannels[0], outChannels, 3, 1, 1);
    }

    /** {@code z}: [B, latent, h, w] → [B, out_channels, h*f, w*f]; the result is in {@code z}'s manager. */
    public NDArray forward(NDArray z) {
        return ForwardScope.run(z, input -> {
            NDArray h = convIn.forward(input);
            h = ForwardScope.replace(h, midBlock.forward(h, null));
            for (UpDecoderBlock2D block : upBlocks) {
                h = ForwardScope.replace(h, block.forward(h, null));
            }
            h = ForwardScope.replace(h, convNormOut.forward(h));
            h = ForwardScope.replace(h, Activations.silu(h));
            return ForwardScope.replace(h, convOut.forward(h));
        });
    }
}

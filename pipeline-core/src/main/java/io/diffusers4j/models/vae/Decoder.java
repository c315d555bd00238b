// Port of diffusers.models.autoencoders.vae.Decoder (norm_type "group").
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.UNetMidBlock2D;
import io.diffusers4j.models.blocks.UpDecoderBlock2D;
import io.diffusers4j.models.blocks.UpDecoderBlock2DConfig;
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

    /**
     * The decoder AutoencoderKL builds from its config: {@code in_channels = latent_channels}, {@code out_channels},
     * {@code up_block_types}, {@code block_out_channels}, {@code layers_per_block}, {@code norm_num_groups},
     * {@code act_fn}, {@code mid_block_add_attention}, and {@code norm_type="group"}.
     */
    public Decoder(WeightScope scope, AutoencoderKLConfig config, AttentionOptions options) {
        int[] channels = config.blockOutChannels;
        int n = channels.length;
        int top = channels[n - 1];
        this.convIn = Conv2d.load(scope.pp("conv_in"), config.latentChannels, top, 3, 1, 1);
        this.midBlock = new UNetMidBlock2D(scope.pp("mid_block"), config.midBlock(), options);
        int output = top;
        for (int i = 0; i < config.upBlockTypes.size(); i++) {
            String type = config.upBlockTypes.get(i);
            if (!SUPPORTED_UP.contains(type)) {
                throw new IllegalArgumentException("unsupported VAE up block type '" + type + "' (supported: "
                        + String.join(", ", SUPPORTED_UP) + ")");
            }
            int prev = output;
            output = channels[n - 1 - i];
            boolean last = i == n - 1;
            upBlocks.add(new UpDecoderBlock2D(scope.pp("up_blocks").pp(i), UpDecoderBlock2DConfig.of(prev, output)
                    .withNumLayers(config.layersPerBlock + 1).withAddUpsample(!last)
                    .withResnetArgs(config.resnetArgs().withResnetTimeScaleShift("group"))));
        }
        this.convNormOut = GroupNorm.load(scope.pp("conv_norm_out"), config.normNumGroups, channels[0], 1e-6);
        this.convOut = Conv2d.load(scope.pp("conv_out"), channels[0], config.outChannels, 3, 1, 1);
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
            h = ForwardScope.replace(h, Activations.siluInPlace(h));
            return ForwardScope.replace(h, convOut.forward(h));
        });
    }
}

// Port of diffusers.models.autoencoders.vae.Encoder.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.DownEncoderBlock2D;
import io.diffusers4j.models.blocks.DownEncoderBlock2DConfig;
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

    /**
     * The encoder AutoencoderKL builds from its config: {@code in_channels}, {@code out_channels = latent_channels},
     * {@code down_block_types}, {@code block_out_channels}, {@code layers_per_block}, {@code norm_num_groups},
     * {@code act_fn}, {@code mid_block_add_attention}, and {@code double_z=True}.
     */
    public Encoder(WeightScope scope, AutoencoderKLConfig config, AttentionOptions options) {
        int[] channels = config.blockOutChannels;
        this.convIn = Conv2d.load(scope.pp("conv_in"), config.inChannels, channels[0], 3, 1, 1);
        int output = channels[0];
        for (int i = 0; i < config.downBlockTypes.size(); i++) {
            String type = config.downBlockTypes.get(i);
            if (!SUPPORTED_DOWN.contains(type)) {
                throw new IllegalArgumentException("unsupported VAE down block type '" + type + "' (supported: "
                        + String.join(", ", SUPPORTED_DOWN) + ")");
            }
            int input = output;
            output = channels[i];
            boolean last = i == channels.length - 1;
            downBlocks.add(new DownEncoderBlock2D(scope.pp("down_blocks").pp(i), DownEncoderBlock2DConfig
                    .of(input, output).withNumLayers(config.layersPerBlock).withResnetArgs(config.resnetArgs())
                    .withAddDownsample(!last).withDownsamplePadding(0)));
        }
        int top = channels[channels.length - 1];
        this.midBlock = new UNetMidBlock2D(scope.pp("mid_block"), config.midBlock(), options);
        this.convNormOut = GroupNorm.load(scope.pp("conv_norm_out"), config.normNumGroups, top, 1e-6);
        this.convOut = Conv2d.load(scope.pp("conv_out"), top, 2 * config.latentChannels, 3, 1, 1);
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
            h = ForwardScope.replace(h, Activations.siluInPlace(h));
            return ForwardScope.replace(h, convOut.forward(h));
        });
    }
}

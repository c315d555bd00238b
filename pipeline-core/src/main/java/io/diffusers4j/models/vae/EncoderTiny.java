// Port of diffusers.models.autoencoders.vae.EncoderTiny.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.AutoencoderTinyBlock;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code layers} (an {@code nn.Sequential}): per stage i a 3x3 conv (stage 0: {@code in_channels} →
 * {@code block_out_channels[0]} with bias; later stages: stride 2, no bias) then {@code num_blocks[i]}
 * AutoencoderTinyBlocks; finally a 3x3 conv to {@code latent_channels}. The input is mapped from [-1, 1] to [0, 1]
 * first. Weight keys carry the Sequential index: {@code layers.<n>.weight}, {@code layers.<n>.conv.0.weight}, ...
 */
public final class EncoderTiny {
    private final List<UnaryOperator<NDArray>> layers = new ArrayList<>();

    public EncoderTiny(WeightScope scope, AutoencoderTinyConfig config) {
        WeightScope seq = scope.pp("layers");
        int[] channels = config.encoderBlockOutChannels;
        int index = 0;
        for (int i = 0; i < channels.length; i++) {
            int c = channels[i];
            Conv2d conv = i == 0 ? Conv2d.load(seq.pp(index++), config.inChannels, c, 3, 1, 1)
                    : new Conv2d(seq.pp(index++).get("weight", c, c, 3, 3), null, 2, 1);
            layers.add(conv::forward);
            for (int b = 0; b < config.numEncoderBlocks[i]; b++) {
                layers.add(new AutoencoderTinyBlock(seq.pp(index++), c, c, config.actFn)::forward);
            }
        }
        layers.add(Conv2d.load(seq.pp(index), channels[channels.length - 1], config.latentChannels, 3, 1, 1)::forward);
    }

    /** {@code x} in [-1, 1]: [B, in_channels, H, W] → [B, latent_channels, H/f, W/f], in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        return ForwardScope.run(x, input -> {
            NDArray h = input.add(1).divi(2);
            for (UnaryOperator<NDArray> layer : layers) {
                h = ForwardScope.replace(h, layer.apply(h));
            }
            return h;
        });
    }
}

// Port of diffusers.models.autoencoders.vae.DecoderTiny.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.AutoencoderTinyBlock;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code layers} (an {@code nn.Sequential}): 3x3 conv {@code latent_channels} → {@code block_out_channels[0]}, act,
 * then per stage i {@code num_blocks[i]} AutoencoderTinyBlocks, a nearest upsample by
 * {@code upsampling_scaling_factor} (all stages but the last) and a 3x3 conv (bias-free, to the same channels; the
 * last stage's with bias to {@code out_channels}). The input is soft-clamped first ({@code tanh(x / 3) * 3}) and
 * the output mapped from [0, 1] to [-1, 1].
 */
public final class DecoderTiny {
    private final List<UnaryOperator<NDArray>> layers = new ArrayList<>();

    public DecoderTiny(WeightScope scope, AutoencoderTinyConfig config) {
        WeightScope seq = scope.pp("layers");
        int[] channels = config.decoderBlockOutChannels;
        int n = channels.length;
        String act = config.actFn;
        layers.add(Conv2d.load(seq.pp(0), config.latentChannels, channels[0], 3, 1, 1)::forward);
        layers.add(x -> Activations.apply(act, x));
        int index = 2;
        int factor = config.upsamplingScalingFactor;
        for (int i = 0; i < n; i++) {
            boolean last = i == n - 1;
            int c = channels[i];
            for (int b = 0; b < config.numDecoderBlocks[i]; b++) {
                layers.add(new AutoencoderTinyBlock(seq.pp(index++), c, c, act)::forward);
            }
            if (!last) {
                index++;
                layers.add(x -> nearest(x, factor));
            }
            WeightScope conv = seq.pp(index++);
            layers.add(last ? Conv2d.load(conv, c, config.outChannels, 3, 1, 1)::forward
                    : new Conv2d(conv.get("weight", c, c, 3, 3), null, 1, 1)::forward);
        }
    }

    /** [B, latent_channels, h, w] → [B, out_channels, h*f, w*f] in [-1, 1]-ish, in {@code z}'s manager. */
    public NDArray forward(NDArray z) {
        return ForwardScope.run(z, input -> {
            NDArray h = input.div(3).tanh().muli(3);
            for (UnaryOperator<NDArray> layer : layers) {
                h = ForwardScope.replace(h, layer.apply(h));
            }
            return h.muli(2).subi(1);
        });
    }

    /** {@code nn.Upsample(scale_factor=f, mode="nearest")} for an integer f: each pixel becomes an f x f block. */
    static NDArray nearest(NDArray x, int f) {
        if (f == 1) {
            return x.duplicate();
        }
        long n = x.getShape().get(0);
        long c = x.getShape().get(1);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        try (NDArray pixels = x.reshape(n, c, h, 1, w, 1); NDArray blocks = pixels.broadcast(n, c, h, f, w, f)) {
            return blocks.reshape(n, c, h * f, w * f);
        }
    }
}

// Port of diffusers.models.unets.unet_1d_blocks' Dance Diffusion blocks and get_down_block / get_mid_block / get_up_block.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * The blocks of the Dance Diffusion 1-D UNet, each three (the mid block six) {@link ResConvBlock}s with or without a
 * {@link SelfAttention1d} after each, framed by resampling: DownBlock1D, AttnDownBlock1D (halve the length first),
 * DownBlock1DNoSkip (concatenate the time embedding first), UNetMidBlock1D (halve, then double at the end),
 * UpBlock1D, AttnUpBlock1D (concatenate the skip connection first, double the length at the end) and
 * UpBlock1DNoSkip (concatenate, no resampling; its last block has no final norm and activation). Unknown names fail
 * with the name and the supported ones.
 */
public final class UNet1DBlocks {
    public static final List<String> DOWN_BLOCK_TYPES = List.of("DownBlock1D", "AttnDownBlock1D",
            "DownBlock1DNoSkip");
    public static final List<String> MID_BLOCK_TYPES = List.of("UNetMidBlock1D");
    public static final List<String> UP_BLOCK_TYPES = List.of("UpBlock1D", "AttnUpBlock1D", "UpBlock1DNoSkip");
    /** Attention blocks have {@code channels / 32} heads, as in diffusers. */
    static final int CHANNELS_PER_HEAD = 32;

    private UNet1DBlocks() {
    }

    /** One block: optional halving, resnets (each optionally followed by attention), optional doubling. */
    public static final class Block {
        private final Resample1d down;
        private final List<ResConvBlock> resnets = new ArrayList<>();
        private final List<SelfAttention1d> attentions = new ArrayList<>();
        private final Resample1d up;
        private final boolean concatTimeEmbedding;
        private final boolean concatSkip;

        /**
         * {@code channels}: the resnets' (in, mid, out) channels as {@code [in_0, out_0, out_1, ...]}, each
         * resnet's mid channels being its output channels (true of every block here).
         */
        private Block(WeightScope scope, int[] channels, boolean attention, boolean down, boolean up,
                      boolean concatTimeEmbedding, boolean concatSkip, boolean lastIsLast) {
            this.down = down ? Resample1d.down(scope.pp("down")) : null;
            int layers = channels.length - 1;
            for (int i = 0; i < layers; i++) {
                int out = channels[i + 1];
                int mid = i == layers - 1 ? channels[i] : out;
                resnets.add(new ResConvBlock(scope.pp("resnets").pp(i), channels[i], mid, out,
                        lastIsLast && i == layers - 1));
                if (attention) {
                    attentions.add(new SelfAttention1d(scope.pp("attentions").pp(i), out, out / CHANNELS_PER_HEAD));
                }
            }
            this.up = up ? Resample1d.up(scope.pp("up")) : null;
            this.concatTimeEmbedding = concatTimeEmbedding;
            this.concatSkip = concatSkip;
        }

        /**
         * {@code skip}: the skip connection an up block concatenates (else null); {@code temb}: the time embedding
         * {@code [N, E, L]} a no-skip down block concatenates. The result is in the manager of {@code hidden}.
         */
        public NDArray forward(NDArray hidden, NDArray skip, NDArray temb) {
            return ForwardScope.run(hidden.getManager(), sub -> {
                NDArray h = hidden;
                if (down != null) {
                    h = down.forward(h);
                }
                if (concatTimeEmbedding) {
                    h = NDArrays.concat(new NDList(h, temb), 1);
                }
                if (concatSkip) {
                    h = NDArrays.concat(new NDList(h, skip), 1);
                }
                for (int i = 0; i < resnets.size(); i++) {
                    h = resnets.get(i).forward(h);
                    if (!attentions.isEmpty()) {
                        h = attentions.get(i).forward(h);
                    }
                }
                return up != null ? up.forward(h) : h;
            }, hidden, skip, temb);
        }
    }

    /**
     * The resnets' channel chain of a three-resnet block whose middle channels are {@code mid}: in -> mid -> mid ->
     * out.
     */
    private static int[] chain(int in, int mid, int out, int resnets) {
        int[] channels = new int[resnets + 1];
        channels[0] = in;
        for (int i = 1; i < resnets; i++) {
            channels[i] = mid;
        }
        channels[resnets] = out;
        return channels;
    }

    /** {@code get_down_block} of the blocks above (their mid channels are {@code out_channels}). */
    public static Block getDownBlock(String type, WeightScope scope, int inChannels, int outChannels) {
        int[] channels = chain(inChannels, outChannels, outChannels, 3);
        return switch (type) {
            case "DownBlock1D" -> new Block(scope, channels, false, true, false, false, false, false);
            case "AttnDownBlock1D" -> new Block(scope, channels, true, true, false, false, false, false);
            case "DownBlock1DNoSkip" -> new Block(scope, channels, false, false, false, true, false, false);
            default -> throw new IllegalArgumentException(type + " does not exist (supported: "
                    + String.join(", ", DOWN_BLOCK_TYPES) + ")");
        };
    }

    /** {@code get_mid_block}: UNetMidBlock1D, six resnets with attention between a halving and a doubling. */
    public static Block getMidBlock(String type, WeightScope scope, int inChannels, int midChannels,
                                    int outChannels) {
        if (!"UNetMidBlock1D".equals(type)) {
            throw new IllegalArgumentException(type + " does not exist (supported: "
                    + String.join(", ", MID_BLOCK_TYPES) + ")");
        }
        return new Block(scope, chain(inChannels, midChannels, outChannels, 6), true, true, true, false, false,
                false);
    }

    /**
     * {@code get_up_block}: the input is the block's input concatenated with its skip connection (2 x
     * {@code in_channels}); mid channels are {@code out_channels} for AttnUpBlock1D, {@code in_channels} else.
     */
    public static Block getUpBlock(String type, WeightScope scope, int inChannels, int outChannels) {
        return switch (type) {
            case "UpBlock1D" -> new Block(scope, chain(2 * inChannels, inChannels, outChannels, 3), false, false,
                    true, false, true, false);
            case "AttnUpBlock1D" -> new Block(scope, chain(2 * inChannels, outChannels, outChannels, 3), true,
                    false, true, false, true, false);
            case "UpBlock1DNoSkip" -> new Block(scope, chain(2 * inChannels, inChannels, outChannels, 3), false,
                    false, false, false, true, true);
            default -> throw new IllegalArgumentException(type + " does not exist (supported: "
                    + String.join(", ", UP_BLOCK_TYPES) + ")");
        };
    }
}

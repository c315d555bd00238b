// Port of diffusers.models.unets.unet_2d_blocks get_down_block / get_mid_block / get_up_block (SD 1.x/2.x/XL set).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.Downsample2D;
import io.diffusers4j.models.blocks.UNetMidBlock2D;
import io.diffusers4j.models.blocks.UNetMidBlock2DConfig;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.weights.WeightScope;

import java.util.List;

/**
 * The block interfaces of the UNet and the factories that build a block from its type name, like diffusers'
 * {@code get_*_block} (a leading {@code "UNetRes"} is stripped the same way). Unknown names fail with the name and
 * the supported ones.
 */
public final class UNet2DBlocks {
    public static final List<String> DOWN_BLOCK_TYPES = List.of("DownBlock2D", "CrossAttnDownBlock2D");
    public static final List<String> MID_BLOCK_TYPES = List.of("UNetMidBlock2DCrossAttn", "UNetMidBlock2D");
    public static final List<String> UP_BLOCK_TYPES = List.of("UpBlock2D", "CrossAttnUpBlock2D");

    private UNet2DBlocks() {
    }

    /** Output of a down block: the hidden states and the skip connections it adds ({@code res_samples}). */
    public record DownOutput(NDArray hidden, List<NDArray> resSamples) {
        /**
         * The end of a down block: the optional downsampler's output becomes the hidden state and one more skip
         * connection after {@code resSamples} (the resnets' or attentions' outputs).
         */
        static DownOutput downsampled(Downsample2D downsamplerOrNull, NDArray h, List<NDArray> resSamples) {
            if (downsamplerOrNull != null) {
                h = downsamplerOrNull.forward(h);
                resSamples.add(h);
            }
            return new DownOutput(h, resSamples);
        }
    }

    /** A down block (DownBlock2D, CrossAttnDownBlock2D). */
    public interface DownBlock {
        DownOutput forward(NDArray hidden, NDArray temb, CrossAttentionInputs cond);

        List<Attention> attentions();
    }

    /** The mid block (UNetMidBlock2DCrossAttn, UNetMidBlock2D). */
    public interface MidBlock {
        NDArray forward(NDArray hidden, NDArray temb, CrossAttentionInputs cond);

        List<Attention> attentions();
    }

    /** An up block (UpBlock2D, CrossAttnUpBlock2D). */
    public interface UpBlock {
        /**
         * {@code resSamples}: this block's skip connections in the order they were produced (the last one is
         * consumed first); {@code upsampleSize}: null for 2x, else the {@code {h, w}} to interpolate to.
         */
        NDArray forward(NDArray hidden, List<NDArray> resSamples, NDArray temb, CrossAttentionInputs cond,
                        long[] upsampleSize);

        /** The number of resnets, i.e. of skip connections consumed. */
        int numResnets();

        List<Attention> attentions();
    }

    static String strip(String type) {
        return type.startsWith("UNetRes") ? type.substring(7) : type;
    }

    /**
     * {@code get_down_block}: {@code block} describes the resnets and the downsampler, {@code attention} the
     * transformers of a CrossAttnDownBlock2D (a DownBlock2D ignores it, as diffusers does).
     */
    public static DownBlock getDownBlock(String type, WeightScope scope, DownBlock2DConfig block,
                                         CrossAttnConfig attention, AttentionOptions options) {
        return switch (strip(type)) {
            case "DownBlock2D" -> new DownBlock2D(scope, block);
            case "CrossAttnDownBlock2D" -> new CrossAttnDownBlock2D(scope, block,
                    requireCrossAttentionDim(type, attention), options);
            default -> throw new IllegalArgumentException("unsupported down block type '" + type + "' (supported: "
                    + String.join(", ", DOWN_BLOCK_TYPES) + ")");
        };
    }

    /**
     * {@code get_mid_block}; {@code type} null = no mid block. A UNetMidBlock2D is built as diffusers builds it here:
     * without layers (one resnet) and without attention.
     */
    public static MidBlock getMidBlock(String type, WeightScope scope, UNetMidBlock2DConfig block,
                                       CrossAttnConfig attention, AttentionOptions options) {
        if (type == null) {
            return null;
        }
        return switch (type) {
            case "UNetMidBlock2DCrossAttn" -> new UNetMidBlock2DCrossAttn(scope, block,
                    requireCrossAttentionDim(type, attention), options);
            case "UNetMidBlock2D" -> {
                UNetMidBlock2D mid = new UNetMidBlock2D(scope, block.withNumLayers(0).withAddAttention(false),
                        options);
                yield new MidBlock() {
                    @Override
                    public NDArray forward(NDArray hidden, NDArray temb, CrossAttentionInputs cond) {
                        return mid.forward(hidden, temb);
                    }

                    @Override
                    public List<Attention> attentions() {
                        return List.of();
                    }
                };
            }
            default -> throw new IllegalArgumentException("unknown mid_block_type : " + type + " (supported: "
                    + String.join(", ", MID_BLOCK_TYPES) + ", null)");
        };
    }

    /**
     * {@code get_up_block}: {@code block} describes the resnets and the upsampler, {@code attention} the transformers
     * of a CrossAttnUpBlock2D (an UpBlock2D ignores it, as diffusers does).
     */
    public static UpBlock getUpBlock(String type, WeightScope scope, UpBlock2DConfig block, CrossAttnConfig attention,
                                     AttentionOptions options) {
        return switch (strip(type)) {
            case "UpBlock2D" -> new UpBlock2D(scope, block);
            case "CrossAttnUpBlock2D" -> new CrossAttnUpBlock2D(scope, block,
                    requireCrossAttentionDim(type, attention), options);
            default -> throw new IllegalArgumentException("unsupported up block type '" + type + "' (supported: "
                    + String.join(", ", UP_BLOCK_TYPES) + ")");
        };
    }

    /** diffusers' get_*_block: "cross_attention_dim must be specified for CrossAttnDownBlock2D" and the like. */
    private static CrossAttnConfig requireCrossAttentionDim(String type, CrossAttnConfig attention) {
        if (attention.crossAttentionDim() == null) {
            throw new IllegalArgumentException("cross_attention_dim must be specified for " + type);
        }
        return attention;
    }

    /** Whether {@code type} names a supported down block (for checking a config before building anything). */
    public static boolean isSupportedDown(String type) {
        return DOWN_BLOCK_TYPES.contains(strip(type));
    }

    public static boolean isSupportedUp(String type) {
        return UP_BLOCK_TYPES.contains(strip(type));
    }
}

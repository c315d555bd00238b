// Port of diffusers.models.transformers.transformer_2d.Transformer2DModel (continuous input, the UNet's attentions).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * GroupNorm ({@code norm}, eps 1e-6) → {@code proj_in} → {@link BasicTransformerBlock}s ({@code transformer_blocks.i})
 * over the {@code H*W} tokens → {@code proj_out} → plus the input. {@code proj_in}/{@code proj_out} are linear layers
 * ({@code use_linear_projection}, SD 2.x/XL) or 1x1 convolutions (SD 1.x); a 1x1 convolution is applied as the same
 * matrix product on the token layout, so both forms share one code path.
 */
public final class Transformer2DModel {
    private final GroupNorm norm;
    private final Linear projIn;
    private final List<BasicTransformerBlock> blocks = new ArrayList<>();
    private final Linear projOut;
    private final int inChannels;

    public Transformer2DModel(WeightScope scope, Transformer2DModelConfig config, AttentionOptions options) {
        config.validate();
        int inner = config.innerDim();
        boolean linear = config.useLinearProjection();
        this.inChannels = config.inChannels();
        this.norm = GroupNorm.load(scope.pp("norm"), config.normNumGroups(), inChannels, 1e-6);
        this.projIn = projection(scope.pp("proj_in"), inChannels, inner, linear);
        BasicTransformerBlockConfig block = config.transformerBlock();
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(new BasicTransformerBlock(scope.pp("transformer_blocks").pp(i), block, options));
        }
        this.projOut = projection(scope.pp("proj_out"), inner, inChannels, linear);
    }

    private static Linear projection(WeightScope scope, int in, int out, boolean linear) {
        if (linear) {
            return Linear.load(scope, in, out, true);
        }
        // nn.Conv2d(in, out, kernel_size=1): the checkpoint's [out, in, 1, 1] kernel viewed as an [out, in] matrix
        return Linear.loadConv1x1(scope, in, out);
    }

    public List<BasicTransformerBlock> transformerBlocks() {
        return blocks;
    }

    /** {@code x}: [B, C, H, W]; masks: additive biases or null. The result is in {@code x}'s manager. */
    public NDArray forward(NDArray x, NDArray encoderHiddenStates, NDArray attentionMask,
                           NDArray encoderAttentionMask) {
        if (x.getShape().get(1) != inChannels) {
            throw new IllegalArgumentException("Transformer2DModel: expected " + inChannels + " channels, got shape "
                    + x.getShape());
        }
        return ForwardScope.run(x.getManager(), sub -> {
            long b = x.getShape().get(0);
            long c = x.getShape().get(1);
            long h = x.getShape().get(2);
            long w = x.getShape().get(3);
            NDArray normed = norm.forward(x);
            NDArray tokens;
            try (NDArray nhwc = normed.transpose(0, 2, 3, 1)) {
                tokens = nhwc.reshape(b, h * w, c);
            }
            normed.close();
            NDArray hs = ForwardScope.replace(tokens, projIn.forward(tokens));
            for (BasicTransformerBlock block : blocks) {
                hs = ForwardScope.replace(hs, block.forward(hs, encoderHiddenStates, attentionMask,
                        encoderAttentionMask));
            }
            hs = ForwardScope.replace(hs, projOut.forward(hs));
            try (NDArray grid = hs.reshape(b, h, w, c); NDArray nchw = grid.transpose(0, 3, 1, 2)) {
                // hidden + residual, with the residual first so the sum is laid out NCHW
                NDArray out = x.add(nchw);
                hs.close();
                return out;
            }
        }, x, encoderHiddenStates, attentionMask, encoderAttentionMask);
    }
}

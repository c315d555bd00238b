// Port of diffusers.models.resnet.ResnetBlock2D (no up/down variants, no FIR kernels).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * GroupNorm → act → 3x3 conv → (+ projected time embedding) → GroupNorm → act → 3x3 conv, plus the (1x1-projected
 * when the channel count changes) input, divided by {@code output_scale_factor}. Weights: {@code norm1}, {@code conv1},
 * {@code time_emb_proj} (when {@code temb_channels} is given), {@code norm2}, {@code conv2}, {@code conv_shortcut}.
 */
public final class ResnetBlock2D {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final String nonLinearity;
    private final String timeEmbeddingNorm;
    private final boolean skipTimeAct;
    private final float outputScaleFactor;
    private final long outChannels;

    public ResnetBlock2D(WeightScope scope, ResnetBlock2DConfig config) {
        config.validate();
        int in = config.inChannels();
        int out = config.resolvedOutChannels();
        this.outChannels = out;
        this.nonLinearity = config.nonLinearity();
        this.timeEmbeddingNorm = config.timeEmbeddingNorm();
        this.skipTimeAct = config.skipTimeAct();
        this.outputScaleFactor = (float) config.outputScaleFactor();
        this.norm1 = GroupNorm.load(scope.pp("norm1"), config.groups(), in, config.eps());
        this.conv1 = Conv2d.load(scope.pp("conv1"), in, out, 3, 1, 1);
        if (config.tembChannels() != null) {
            int projOut = timeEmbeddingNorm.equals("scale_shift") ? 2 * out : out;
            this.timeEmbProj = Linear.load(scope.pp("time_emb_proj"), config.tembChannels(), projOut, true);
        } else {
            this.timeEmbProj = null;
        }
        this.norm2 = GroupNorm.load(scope.pp("norm2"), config.resolvedGroupsOut(), out, config.eps());
        this.conv2 = Conv2d.load(scope.pp("conv2"), out, out, 3, 1, 1);
        this.convShortcut = in != out ? Conv2d.load(scope.pp("conv_shortcut"), in, out, 1, 1, 0) : null;
    }

    /** {@code resnets.0 .. resnets.(num_layers-1)} of a block ({@code scope}), layer i built from {@code resnet(i)}. */
    public static List<ResnetBlock2D> layers(WeightScope scope, ResnetLayersConfig block) {
        List<ResnetBlock2D> out = new ArrayList<>(block.numLayers());
        for (int i = 0; i < block.numLayers(); i++) {
            out.add(new ResnetBlock2D(scope.pp("resnets").pp(i), block.resnet(i)));
        }
        return out;
    }

    public long outChannels() {
        return outChannels;
    }

    /** {@code x}: [B, C, H, W]; {@code temb}: [B, temb_channels] or null. The result is in {@code x}'s manager. */
    public NDArray forward(NDArray x, NDArray temb) {
        return ForwardScope.run(x.getManager(), sub -> compute(x, temb), x, temb);
    }

    private NDArray compute(NDArray x, NDArray temb) {
        NDArray h = norm1.forward(x);
        h = ForwardScope.replace(h, Activations.applyInPlace(nonLinearity, h));
        h = ForwardScope.replace(h, conv1.forward(h));

        NDArray tembProj = null;
        if (timeEmbProj != null && temb != null) {
            NDArray act = skipTimeAct ? temb : Activations.apply(nonLinearity, temb);
            NDArray proj = timeEmbProj.forward(act);
            tembProj = proj.reshape(proj.getShape().get(0), proj.getShape().get(1), 1, 1);
        }
        if (timeEmbeddingNorm.equals("default")) {
            if (tembProj != null) {
                h.addi(tembProj);
            }
            h = ForwardScope.replace(h, norm2.forward(h));
        } else if (timeEmbeddingNorm.equals("scale_shift")) {
            if (tembProj == null) {
                throw new IllegalArgumentException(" `temb` should not be None when `time_embedding_norm` is "
                        + timeEmbeddingNorm);
            }
            NDList chunks = tembProj.split(2, 1);
            h = ForwardScope.replace(h, norm2.forward(h));
            try (NDArray onePlusScale = chunks.get(0).add(1f)) {
                h.muli(onePlusScale).addi(chunks.get(1));
            }
        } else {
            h = ForwardScope.replace(h, norm2.forward(h));
        }
        h = ForwardScope.replace(h, Activations.applyInPlace(nonLinearity, h));
        h = ForwardScope.replace(h, conv2.forward(h));
        if (convShortcut != null) {
            try (NDArray shortcut = convShortcut.forward(x)) {
                h.addi(shortcut);
            }
        } else {
            h.addi(x);
        }
        if (outputScaleFactor != 1f) {
            h.divi(outputScaleFactor);
        }
        return h;
    }
}

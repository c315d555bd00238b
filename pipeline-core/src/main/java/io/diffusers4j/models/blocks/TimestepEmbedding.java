// Port of diffusers.models.embeddings.TimestepEmbedding.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code linear_2(act(linear_1(sample + cond_proj(condition))))}, then the optional post activation. Weights:
 * {@code linear_1}, {@code linear_2}, {@code cond_proj} (no bias, only with {@code cond_proj_dim}).
 */
public final class TimestepEmbedding {
    private final Linear linear1;
    private final Linear linear2;
    private final Linear condProj;
    private final String act;
    private final String postAct;

    /**
     * @param actFn      null = no activation between the layers
     * @param outDim     null = {@code timeEmbedDim}
     * @param postActFn  null = none
     * @param condProjDim null = no {@code cond_proj}
     */
    public TimestepEmbedding(WeightScope scope, int inChannels, int timeEmbedDim, String actFn, Integer outDim,
                             String postActFn, Integer condProjDim, boolean sampleProjBias) {
        if (actFn != null) {
            Activations.check(actFn);
        }
        if (postActFn != null) {
            Activations.check(postActFn);
        }
        this.linear1 = Linear.load(scope.pp("linear_1"), inChannels, timeEmbedDim, sampleProjBias);
        this.condProj = condProjDim == null ? null : Linear.load(scope.pp("cond_proj"), condProjDim, inChannels, false);
        this.act = actFn;
        this.linear2 = Linear.load(scope.pp("linear_2"), timeEmbedDim, outDim == null ? timeEmbedDim : outDim,
                sampleProjBias);
        this.postAct = postActFn;
    }

    public TimestepEmbedding(WeightScope scope, int inChannels, int timeEmbedDim, String actFn) {
        this(scope, inChannels, timeEmbedDim, actFn, null, null, null, true);
    }

    public boolean hasCondProj() {
        return condProj != null;
    }

    /** The result is in {@code sample}'s manager; {@code condition} may be null. */
    public NDArray forward(NDArray sample, NDArray condition) {
        NDArray x = sample;
        if (condition != null) {
            if (condProj == null) {
                throw new IllegalArgumentException("TimestepEmbedding: a condition was given but the model has no "
                        + "cond_proj (time_cond_proj_dim is null)");
            }
            try (NDArray c = condProj.forward(condition)) {
                x = sample.add(c);
            }
        }
        NDArray h = linear1.forward(x);
        if (x != sample) {
            x.close();
        }
        if (act != null) {
            h = ForwardScope.replace(h, Activations.apply(act, h));
        }
        h = ForwardScope.replace(h, linear2.forward(h));
        if (postAct != null) {
            h = ForwardScope.replace(h, Activations.apply(postAct, h));
        }
        return h;
    }
}

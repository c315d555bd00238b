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

    public TimestepEmbedding(WeightScope scope, TimestepEmbeddingConfig config) {
        config.validate();
        int in = config.inChannels();
        int dim = config.timeEmbedDim();
        boolean bias = config.sampleProjBias();
        this.linear1 = Linear.load(scope.pp("linear_1"), in, dim, bias);
        this.condProj = config.condProjDim() == null ? null
                : Linear.load(scope.pp("cond_proj"), config.condProjDim(), in, false);
        this.act = config.actFn();
        this.linear2 = Linear.load(scope.pp("linear_2"), dim, config.resolvedOutDim(), bias);
        this.postAct = config.postActFn();
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
            try (NDArray projected = condProj.forward(condition)) {
                x = sample.add(projected);
            }
        }
        NDArray h = linear1.forward(x);
        if (x != sample) {
            x.close();
        }
        if (act != null) {
            h = ForwardScope.replace(h, Activations.applyInPlace(act, h));
        }
        h = ForwardScope.replace(h, linear2.forward(h));
        if (postAct != null) {
            h = ForwardScope.replace(h, Activations.applyInPlace(postAct, h));
        }
        return h;
    }
}

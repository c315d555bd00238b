// Port of diffusers.models.autoencoders.vae.DiagonalGaussianDistribution (the VAE posterior).
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;

/**
 * The posterior {@code N(mean, exp(logvar))} from the encoder's moments {@code [B, 2*latent, h, w]}: mean and logvar
 * are the two channel halves, logvar is clamped to [-30, 20], {@code std = exp(0.5 * logvar)},
 * {@code var = exp(logvar)}. The arrays live in the moments' manager; {@link #close()} frees them.
 */
public final class DiagonalGaussianDistribution implements AutoCloseable {
    private final NDArray parameters;
    private final NDArray mean;
    private final NDArray logvar;
    private final NDArray std;
    private final NDArray var;

    public DiagonalGaussianDistribution(NDArray parameters) {
        if (parameters.getShape().dimension() < 2 || parameters.getShape().get(1) % 2 != 0) {
            throw new IllegalArgumentException("moments must have an even channel count, got shape "
                    + parameters.getShape());
        }
        this.parameters = parameters;
        NDManager parent = parameters.getManager();
        // computed in a scope: DJL's clip leaves its scalar bounds behind as arrays
        try (NDManager sub = parent.newSubManager()) {
            parameters.tempAttach(sub);
            NDList halves = parameters.split(2, 1);
            this.mean = halves.get(0);
            this.logvar = halves.get(1).clip(-30.0, 20.0);
            this.std = logvar.mul(0.5f).exp();
            this.var = logvar.exp();
            mean.attach(parent);
            logvar.attach(parent);
            std.attach(parent);
            var.attach(parent);
        }
    }

    public NDArray parameters() {
        return parameters;
    }

    public NDArray mean() {
        return mean;
    }

    public NDArray logvar() {
        return logvar;
    }

    public NDArray std() {
        return std;
    }

    public NDArray var() {
        return var;
    }

    /** {@code mode()}: the mean. */
    public NDArray mode() {
        return mean;
    }

    /**
     * {@code mean + std * randn_tensor(mean.shape, generator)} with diffusers' generator rules (one generator for the
     * whole batch, or one per sample); null or empty draws from a randomly seeded generator. The result is in the
     * mean's manager.
     */
    public NDArray sample(List<TorchGenerator> generators) {
        try (NDArray noise = RandnTensor.randnInputsTensor(mean.getManager(), mean.getShape(), generators,
                parameters.getDataType()); NDArray scaled = std.mul(noise)) {
            return mean.add(scaled);
        }
    }

    public NDArray sample(TorchGenerator generator) {
        return sample(generator == null ? null : List.of(generator));
    }

    @Override
    public void close() {
        parameters.close();
        mean.close();
        logvar.close();
        std.close();
        var.close();
    }
}

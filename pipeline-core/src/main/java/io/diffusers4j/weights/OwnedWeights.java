// The loading pattern of every self-contained model: weights in a sub-manager the model owns, strict when read.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.function.Function;

/**
 * Builds a model whose weights live in a new sub-manager of the caller's manager, handed to the model to free in its
 * {@code close()}. Reading from a checkpoint is strict ({@link WeightScope#finish()} after the build: every
 * missing, unused or mis-shaped key fails); a random init reads nothing and needs no finish. When the build fails,
 * the sub-manager is closed before the exception propagates.
 *
 * <p>{@code cap}: cap the sub-manager once the model is built, so that an op that would put its result into the
 * weights' manager fails instead of leaking there.
 */
public final class OwnedWeights {
    private OwnedWeights() {
    }

    /** Builds the model on the root scope; {@code owned} is the sub-manager the model must close. */
    @FunctionalInterface
    public interface Builder<T> {
        T build(WeightScope root, NDManager owned);
    }

    /** Reads {@code source} as {@code dtype} strictly into a new sub-manager of {@code manager}. */
    public static <T> T load(TensorSource source, NDManager manager, DataType dtype, boolean cap,
                             Builder<T> builder) {
        return build(manager, owned -> WeightScope.load(source, owned, dtype), true, cap, builder);
    }

    /** Seeded random weights ({@link WeightScope#randomInit}) in a new sub-manager of {@code manager}. */
    public static <T> T randomInit(long seed, NDManager manager, DataType dtype, boolean cap, Builder<T> builder) {
        return build(manager, owned -> WeightScope.randomInit(seed, owned, dtype), false, cap, builder);
    }

    private static <T> T build(NDManager manager, Function<NDManager, WeightScope> scope, boolean strict,
                               boolean cap, Builder<T> builder) {
        NDManager owned = manager.newSubManager();
        try {
            WeightScope root = scope.apply(owned);
            T model = builder.build(root, owned);
            if (strict) {
                root.finish();
            }
            if (cap) {
                owned.cap();
            }
            return model;
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }
}

// What a loaded diffusers model (ModelMixin) holds: its config, its weights' key scope and the manager it owns.
package io.diffusers4j.models;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.weights.WeightScope;

import java.util.Map;

/**
 * A model built from a typed config on a {@link WeightScope}: its {@code config}, {@code dtype}, device and state
 * dict (for {@code save_pretrained}), and the weights' sub-manager it owns and frees in {@link #close()} (null when
 * the scope's manager stays the caller's, which then closes nothing).
 *
 * @param <C> the model's config class
 */
public abstract class OwnedModel<C extends ConfigBase> implements AutoCloseable {
    private final C config;
    private final WeightScope weights;
    private final NDManager ownedManager;

    protected OwnedModel(C config, WeightScope weights, NDManager ownedManager) {
        this.config = config;
        this.weights = weights;
        this.ownedManager = ownedManager;
    }

    public C config() {
        return config;
    }

    public DataType dtype() {
        return weights.dtype();
    }

    /** The device of the weights. */
    public Device device() {
        return weights.manager().getDevice();
    }

    /** The state dict (full key to tensor, in build order), for {@code save_pretrained}. */
    public Map<String, NDArray> stateDict() {
        return weights.tensors();
    }

    /** Refuses an input {@code name} that is not in the model's dtype (the caller casts it). */
    protected void requireDtype(NDArray input, String name) {
        if (input.getDataType() != dtype()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " runs in " + dtype() + " but " + name + " is "
                    + input.getDataType() + "; cast the input to the model's dtype");
        }
    }

    @Override
    public void close() {
        if (ownedManager != null) {
            ownedManager.close();
        }
    }
}

// A config's sizes against the tensor shapes its checkpoint declares, checked before any tensor is created.
package io.diffusers4j.weights;

import java.util.HashSet;
import java.util.Set;

/**
 * Strict loading compares every tensor's shape with the model's, but only while the model is being built, and a
 * mis-shaped or missing tensor gets a zero stand-in of the model's shape: a config that says 2,000,000 channels
 * where the checkpoint has 64 would allocate terabytes first. The model configs therefore check their main sizes
 * with this class against the checkpoint's header (no tensor is read) before the build, and the error names the
 * config file and key: "{@code unet/config.json: key 'block_out_channels' is [32, 4096] but .../unet/
 * diffusion_pytorch_model.safetensors has down_blocks.1.resnets.0.conv1.weight of shape [64, 32, 3, 3] (4096
 * expected in dimension 0)}". Tensors the checkpoint does not have are left to strict loading.
 */
public final class ShapeCheck {
    private final String config;
    private final TensorSource weights;
    private final Set<String> keys;

    /** Checks for the config read from {@code configSource} against {@code weights}. */
    public ShapeCheck(String configSource, TensorSource weights) {
        this.config = configSource;
        this.weights = weights;
        this.keys = weights.keys();
    }

    /**
     * When the checkpoint has {@code tensor}: its dimension {@code axis} must be {@code expected}, which the config
     * sets through {@code key} (whose value is shown as {@code shown}).
     */
    public ShapeCheck dim(String key, Object shown, long expected, String tensor, int axis) {
        if (keys.contains(tensor)) {
            long[] shape = weights.info(tensor).shape();
            if (axis >= shape.length || shape[axis] != expected) {
                throw new IllegalArgumentException(config + ": key '" + key + "' is " + shown + " but "
                        + weights.describe() + " has " + tensor + " of shape " + weights.info(tensor).shapeString()
                        + " (" + expected + " expected in dimension " + axis + ")");
            }
        }
        return this;
    }

    /**
     * When the checkpoint has any {@code prefix.N.*} tensor: the indices N must be exactly {@code 0 ..
     * expected - 1} (a module list of {@code expected} entries, which the config sets through {@code key}).
     */
    public ShapeCheck count(String key, Object shown, long expected, String prefix) {
        Set<Integer> indices = new HashSet<>();
        String start = prefix + ".";
        for (String k : keys) {
            if (k.startsWith(start)) {
                int dot = k.indexOf('.', start.length());
                try {
                    indices.add(Integer.parseInt(dot < 0 ? k.substring(start.length()) : k.substring(start.length(),
                            dot)));
                } catch (NumberFormatException e) {
                    // a named child (prefix.norm.weight), not a list entry
                }
            }
        }
        if (indices.isEmpty()) {
            return this;
        }
        boolean contiguous = indices.size() == expected && indices.stream().allMatch(i -> i >= 0 && i < expected);
        if (!contiguous) {
            throw new IllegalArgumentException(config + ": key '" + key + "' is " + shown + " but "
                    + weights.describe() + " has " + indices.size() + " of " + prefix + ".N (" + expected
                    + " expected)");
        }
        return this;
    }
}

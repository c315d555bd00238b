// Activation functions of diffusers.models.activations and transformers.activations.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** SiLU, GELU (erf and tanh), quick GELU, and lookup by the names configs use. */
public final class Activations {
    private Activations() {
    }

    /** x * sigmoid(x): libtorch's {@code silu} kernel when {@link TorchOps} is available, else the formula. */
    public static NDArray silu(NDArray x) {
        NDArray out = TorchOps.silu(x);
        return out != null ? out : Activation.sigmoid(x).muli(x);
    }

    /**
     * {@link #silu} computed into {@code x} itself, for a caller that drops {@code x} afterwards: no new tensor
     * (an activation of the VAE's top level at batch 8 is 268 MB) and one pass over it. Returns {@code x}.
     */
    public static NDArray siluInPlace(NDArray x) {
        if (!TorchOps.siluInPlace(x)) {
            try (NDArray s = Activation.sigmoid(x)) {
                x.muli(s);
            }
        }
        return x;
    }

    /**
     * {@link #apply}, overwriting {@code x} where the activation has an in-place form (SiLU); otherwise a new
     * tensor. For a caller that drops {@code x} afterwards ({@code h = ForwardScope.replace(h, applyInPlace(a, h))}).
     */
    public static NDArray applyInPlace(String name, NDArray x) {
        return switch (name) {
            case "silu", "swish" -> siluInPlace(x);
            default -> apply(name, x);
        };
    }

    /** Exact GELU (erf). */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /** GELU with the tanh approximation ("gelu_pytorch_tanh", "gelu_new"). */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = x.pow(3).muli(0.044715f).addi(x).muli((float) Math.sqrt(2.0 / Math.PI)).tanh();
        return inner.addi(1f).muli(x).muli(0.5f);
    }

    /**
     * {@code torch.nn.functional.gelu(x, approximate="tanh")} (diffusers' {@code GELU(approximate="tanh")}, the
     * "gelu-approximate" feed-forward of SD3 and FLUX): libtorch's own kernel when {@link TorchOps} is available,
     * else {@link #geluTanh} (the same formula, in seven element-wise steps).
     */
    public static NDArray geluApproximate(NDArray x) {
        NDArray out = TorchOps.geluTanh(x);
        return out != null ? out : geluTanh(x);
    }

    /** CLIP's quick GELU: x * sigmoid(1.702 x). */
    public static NDArray quickGelu(NDArray x) {
        return Activation.sigmoid(x.mul(1.702f)).muli(x);
    }

    /** The activation a config names ({@code act_fn}, {@code hidden_act}). */
    public static NDArray apply(String name, NDArray x) {
        return switch (name) {
            case "silu", "swish" -> silu(x);
            case "gelu" -> gelu(x);
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh" -> geluTanh(x);
            case "quick_gelu" -> quickGelu(x);
            case "relu" -> Activation.relu(x);
            case "mish" -> Activation.mish(x);
            default -> throw new IllegalArgumentException("unsupported activation '" + name
                    + "' (supported: silu, swish, gelu, gelu_new, gelu_pytorch_tanh, quick_gelu, relu, mish)");
        };
    }

    /** {@link #check(String)} for config key {@code key}: "{@code key 'act_fn': unsupported activation 'x' (...)}". */
    public static void check(String key, String name) {
        if (name == null) {
            throw new IllegalArgumentException("key '" + key + "' is null, not an activation name");
        }
        try {
            check(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key '" + key + "': " + e.getMessage(), e);
        }
    }

    /** Validates an activation name without running it. */
    public static void check(String name) {
        switch (name) {
            case "silu", "swish", "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh", "quick_gelu",
                 "relu", "mish" -> { }
            default -> throw new IllegalArgumentException("unsupported activation '" + name
                    + "' (supported: silu, swish, gelu, gelu_new, gelu_pytorch_tanh, quick_gelu, relu, mish)");
        }
    }
}

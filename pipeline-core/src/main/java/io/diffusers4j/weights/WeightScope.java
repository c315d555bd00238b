// The key-path scope of a module being built (candle's VarBuilder.pp / torch's state_dict prefixes).
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A prefix into a state dict. A block built under {@code down_blocks.1.attentions.0} calls
 * {@code scope.get("proj_in.weight", 64, 64, 1, 1)} and gets exactly the checkpoint key
 * {@code down_blocks.1.attentions.0.proj_in.weight}.
 *
 * <p>Loading is strict: a missing key or a wrong shape does not stop the build (a zero tensor stands in, up to
 * {@link #MAX_STAND_IN_BYTES} in all) so that {@link #finish()} can report every missing key, every unused key and
 * every shape mismatch at once, then fail.
 *
 * <p>A scope made by {@link #randomInit} creates seeded random weights instead of reading them (the tiny pipeline
 * writer and the benchmark presets use it); {@link #tensors()} holds the state dict to save either way.
 *
 * <p>A root scope asked for {@code DataType.BFLOAT16} is torch's CPU autocast to bfloat16: its tensors are float32
 * ({@link #dtype()} says so, and so every activation of the model is float32) and {@link #bf16Compute()} tells the
 * convolutions and linear layers built in it to compute in bfloat16 inside libtorch
 * (docs/design.md#bfloat16-compute-on-the-cpu). No bfloat16 tensor is ever handed to DJL 0.36, which aborts the JVM
 * on one.
 */
public final class WeightScope {
    /**
     * Most bytes of zero stand-ins for missing or mis-shaped tensors in one load. They let the build go on so that
     * {@link #finish()} reports every problem at once; past this budget the load stops with what it found, so a
     * config whose sizes the checkpoint does not have cannot allocate more than this for nothing (the model configs
     * also check their main sizes against the checkpoint before the build: {@link ShapeCheck}).
     */
    static final long MAX_STAND_IN_BYTES = 256L << 20;

    private final State state;
    private final String prefix;

    private WeightScope(State state, String prefix) {
        this.state = state;
        this.prefix = prefix;
    }

    /**
     * A root scope reading from {@code source} into {@code manager} as {@code dtype} (bfloat16: float32 tensors
     * with bfloat16 compute, see the class comment).
     */
    public static WeightScope load(TensorSource source, NDManager manager, DataType dtype) {
        return new WeightScope(new State(source, manager, dtype, null), "");
    }

    /**
     * A root scope that creates seeded random weights (deterministic per key, whatever the build order); bfloat16
     * as in {@link #load}.
     */
    public static WeightScope randomInit(long seed, NDManager manager, DataType dtype) {
        return new WeightScope(new State(null, manager, dtype, seed), "");
    }

    /** The child scope {@code prefix.name}. */
    public WeightScope pp(String name) {
        return new WeightScope(state, key(name));
    }

    /** The child scope {@code prefix.index} (a ModuleList entry). */
    public WeightScope pp(int index) {
        return pp(Integer.toString(index));
    }

    /** The full checkpoint key of {@code name} in this scope. */
    public String key(String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    public String prefix() {
        return prefix;
    }

    public NDManager manager() {
        return state.manager;
    }

    /** The dtype of the tensors handed out: float32 or float16 (never bfloat16). */
    public DataType dtype() {
        return state.dtype;
    }

    /**
     * True when the scope was made for bfloat16: its convolutions and linear layers compute in bfloat16 (float32
     * in and out, float32 accumulation) while every tensor stays float32.
     */
    public boolean bf16Compute() {
        return state.bf16Compute;
    }

    /** True when the checkpoint holds {@code name} in this scope (always false while random-initialising). */
    public boolean contains(String name) {
        return state.source != null && state.sourceKeys.contains(key(name));
    }

    /** True when this scope creates random weights rather than reading a checkpoint. */
    public boolean isRandomInit() {
        return state.source == null;
    }

    /** The tensor {@code prefix.name}, which must have {@code shape}. */
    public NDArray get(String name, long... shape) {
        return state.get(key(name), shape, state.dtype);
    }

    /**
     * The tensor {@code prefix.name} in {@code dtype} rather than the scope's dtype (transformers'
     * {@code _keep_in_fp32_modules}: T5's {@code wo} layers stay float32 in a float16 model). Read and checked like
     * {@link #get}.
     */
    public NDArray get(String name, DataType dtype, long... shape) {
        if (dtype == DataType.BFLOAT16) {
            throw new IllegalArgumentException("dtype bfloat16 is not supported: DJL 0.36 aborts the JVM on "
                    + "bfloat16 tensors; use float32 (CPU) or float16 (GPU)");
        }
        return state.get(key(name), shape, dtype);
    }

    /**
     * A persistent buffer {@code prefix.name} of fixed values (diffusers' {@code register_buffer}, e.g. the
     * resampling kernels of the 1-D UNet): read from the checkpoint like a weight (strictly, with {@code shape}),
     * or, while random-initialising, {@code initial} itself, so that a saved random model holds the real values.
     */
    public NDArray buffer(String name, float[] initial, long... shape) {
        if (!isRandomInit()) {
            return get(name, shape);
        }
        return state.put(key(name), initial, shape);
    }

    /** Like {@link #get} for a tensor that a checkpoint may leave out (returns null then). */
    public NDArray getOptional(String name, long... shape) {
        if (state.source != null && !contains(name)) {
            return null;
        }
        return get(name, shape);
    }

    /**
     * Records {@code module} (a layer built in this scope) under this scope's prefix, its module path as torch's
     * {@code named_modules()} names it: adapters (LoRA) find the layers they target through {@link #modules()}.
     */
    public void registerModule(Object module) {
        if (state.modules.putIfAbsent(prefix, module) != null) {
            throw new IllegalStateException("module '" + prefix + "' registered twice: a module was built twice");
        }
    }

    /** The modules registered in this load ({@link #registerModule}), by module path, in build order. */
    public Map<String, Object> modules() {
        return Collections.unmodifiableMap(state.modules);
    }

    /** Keys of the checkpoint matching {@code pattern} may stay unused (like transformers' ignore lists). */
    public void allowUnused(String regex) {
        state.allowedUnused.add(Pattern.compile(regex));
    }

    /**
     * Ends strict loading: throws {@link WeightLoadException} listing every missing key, every unused key and every
     * shape mismatch. Call it once on the root scope after the whole component is built.
     */
    public void finish() {
        state.finish();
    }

    /**
     * Every tensor this load handed out (read or randomly created), by full key, in request order: the component's
     * state dict, for {@code save_pretrained}.
     */
    public Map<String, NDArray> tensors() {
        return Collections.unmodifiableMap(state.tensors);
    }

    /** Shared, mutable state of one component's load. */
    private static final class State {
        final TensorSource source;
        final Set<String> sourceKeys;
        final NDManager manager;
        final DataType dtype;
        final boolean bf16Compute;
        final Long seed;
        final Set<String> requested = new LinkedHashSet<>();
        final List<String> missing = new ArrayList<>();
        final List<String> mismatched = new ArrayList<>();
        final List<Pattern> allowedUnused = new ArrayList<>();
        final Map<String, NDArray> tensors = new LinkedHashMap<>();
        final Map<String, Object> modules = new LinkedHashMap<>();
        /** Bytes of zero stand-ins handed out so far. */
        long standInBytes;

        State(TensorSource source, NDManager manager, DataType dtype, Long seed) {
            this.source = source;
            this.sourceKeys = source == null ? Set.of() : source.keys();
            this.manager = manager;
            // bfloat16 = float32 tensors, bfloat16 compute (DJL 0.36 aborts the JVM on a bfloat16 tensor)
            this.bf16Compute = dtype == DataType.BFLOAT16;
            this.dtype = bf16Compute ? DataType.FLOAT32 : dtype;
            this.seed = seed;
        }

        NDArray get(String key, long[] shape, DataType type) {
            if (!requested.add(key)) {
                throw new IllegalStateException("weight '" + key + "' requested twice: a module was built twice");
            }
            NDArray t = read(key, shape, type);
            tensors.put(key, t);
            return t;
        }

        /** Hands out a tensor of the given values (a buffer while random-initialising). */
        NDArray put(String key, float[] values, long[] shape) {
            if (!requested.add(key)) {
                throw new IllegalStateException("weight '" + key + "' requested twice: a module was built twice");
            }
            NDArray t = manager.create(values, new Shape(shape));
            NDArray typed = dtype == DataType.FLOAT32 ? t : t.toType(dtype, false);
            tensors.put(key, typed);
            return typed;
        }

        private NDArray read(String key, long[] shape, DataType type) {
            if (source == null) {
                return randomTensor(key, shape, type);
            }
            if (!sourceKeys.contains(key)) {
                missing.add(key + " " + Arrays.toString(shape));
                return standIn(missing, shape, type);
            }
            TensorInfo info = source.info(key);
            if (!Arrays.equals(info.shape(), shape)) {
                mismatched.add(key + ": checkpoint " + info.shapeString() + " vs model " + Arrays.toString(shape));
                return standIn(mismatched, shape, type);
            }
            return source.load(key, manager, type);
        }

        /**
         * Zeros of the model's {@code shape} for the tensor just added to {@code problems}, within the stand-in
         * budget; past it the load stops now, reporting what it found so far.
         */
        private NDArray standIn(List<String> problems, long[] shape, DataType type) {
            long bytes = byteSize(shape, type.getNumOfBytes());
            if (bytes < 0 || standInBytes + bytes > MAX_STAND_IN_BYTES) {
                int last = problems.size() - 1;
                problems.set(last, problems.get(last) + " (loading stopped here: zero stand-ins for missing or "
                        + "mis-shaped tensors would exceed " + (MAX_STAND_IN_BYTES >> 20) + " MiB)");
                throw new WeightLoadException(source.describe(), missing, List.of(), mismatched);
            }
            standInBytes += bytes;
            return manager.zeros(new Shape(shape), type);
        }

        /** Bytes of a tensor of {@code shape}; -1 when a dimension is negative or the size overflows. */
        private static long byteSize(long[] shape, int elementBytes) {
            long n = elementBytes;
            for (long d : shape) {
                if (d < 0) {
                    return -1;
                }
                try {
                    n = Math.multiplyExact(n, d);
                } catch (ArithmeticException e) {
                    return -1;
                }
            }
            return n;
        }

        /**
         * Seeded weights with sane magnitudes: matrices and kernels ~ N(0, 1/fan_in), norm scales ~ 1 + 0.1 N,
         * biases and other vectors ~ 0.1 N. Each key has its own generator (seed mixed with the key).
         */
        private NDArray randomTensor(String key, long[] shape, DataType type) {
            long mixed = seed * 0x9E3779B97F4A7C15L ^ key.hashCode();
            float[] v = new TorchGenerator(mixed).randn(shape);
            String leaf = key.substring(key.lastIndexOf('.') + 1);
            String parent = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
            String module = parent.substring(parent.lastIndexOf('.') + 1);
            if (shape.length >= 2) {
                long fanIn = 1;
                for (int i = 1; i < shape.length; i++) {
                    fanIn *= shape[i];
                }
                boolean embedding = module.contains("embedding");
                float std = embedding ? 0.5f : (float) (1.0 / Math.sqrt(fanIn));
                for (int i = 0; i < v.length; i++) {
                    v[i] *= std;
                }
            } else if (leaf.equals("weight") && (module.contains("norm") || module.startsWith("ln"))) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = 1f + 0.1f * v[i];
                }
            } else {
                for (int i = 0; i < v.length; i++) {
                    v[i] *= 0.1f;
                }
            }
            NDArray t = manager.create(v, new Shape(shape));
            return type == DataType.FLOAT32 ? t : t.toType(type, false);
        }

        void finish() {
            List<String> unused = new ArrayList<>();
            for (String k : sourceKeys) {
                if (!requested.contains(k) && allowedUnused.stream().noneMatch(p -> p.matcher(k).matches())) {
                    unused.add(k);
                }
            }
            if (!missing.isEmpty() || !unused.isEmpty() || !mismatched.isEmpty()) {
                throw new WeightLoadException(source == null ? "<random init>" : source.describe(),
                        missing, unused, mismatched);
            }
        }
    }
}

// An in-memory state dict (a Python dict of tensors passed to load_state_dict), for tests and component overrides.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors already in memory. {@link #load} always returns a new array owned by the requested manager (on its
 * device), so the caller may close what it loads; the map's own arrays stay owned by whoever created them and are
 * not closed by {@link #close()}.
 */
public final class MapTensorSource implements TensorSource {
    private final Map<String, NDArray> tensors;
    private final String name;

    /** A source over {@code tensors} (copied map, same arrays); {@code name} appears in error messages. */
    public MapTensorSource(Map<String, NDArray> tensors, String name) {
        Map<String, NDArray> copy = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException(name + ": null key or tensor in the state dict (key "
                        + e.getKey() + ")");
            }
            if (e.getValue().getDataType() == DataType.BFLOAT16) {
                throw new IllegalArgumentException(name + ": tensor '" + e.getKey()
                        + "' is bfloat16, which DJL 0.36 cannot handle; widen it to float32 first");
            }
            copy.put(e.getKey(), e.getValue());
        }
        this.tensors = Collections.unmodifiableMap(copy);
        this.name = name;
    }

    public MapTensorSource(Map<String, NDArray> tensors) {
        this(tensors, "<in-memory state dict>");
    }

    @Override
    public Set<String> keys() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(tensors.keySet()));
    }

    @Override
    public TensorInfo info(String key) {
        NDArray a = get(key);
        String dtype = SafetensorsDtype.name(a.getDataType());
        long bytes = Math.multiplyExact(a.size(), (long) SafetensorsDtype.byteSize(dtype));
        return new TensorInfo(key, dtype, a.getShape().getShape(), 0, bytes, null);
    }

    @Override
    public NDArray load(String key, NDManager manager, DataType dtype) {
        if (dtype == DataType.BFLOAT16) {
            throw new IllegalArgumentException("bfloat16 tensors are not supported by DJL 0.36 (it aborts the JVM); "
                    + "use float32 or float16");
        }
        NDArray a = get(key);
        // a copy made directly in the target manager through the host: the source's manager may be capped (a
        // loaded model's), and toDevice(same device, copy=true) may alias the storage in the PyTorch engine
        NDArray copy = manager.create(a.toByteBuffer(), a.getShape(), a.getDataType());
        DataType stored = a.getDataType();
        if (dtype == null || dtype == stored || !stored.isFloating() || !dtype.isFloating()) {
            return copy;
        }
        NDArray cast = copy.toType(dtype, true);
        copy.close();
        return cast;
    }

    private NDArray get(String key) {
        NDArray a = tensors.get(key);
        if (a == null) {
            throw new IllegalArgumentException(name + ": no tensor named '" + key + "'");
        }
        return a;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public void close() {
        // the arrays belong to the caller
    }
}

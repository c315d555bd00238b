// diffusers configs accept either one scalar or a per-block list for keys like attention_head_dim, only_cross_attention.
package io.diffusers4j.config;

import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A scalar or a list of scalars, kept as written so that it saves back the same way. A scalar applies to every
 * block; a list must have one entry per block. {@link IntOrList} and {@code BoolOrList} are the typed forms.
 *
 * @param <E> the boxed element type
 */
public abstract class ScalarOrList<E> {
    private final List<E> values;
    private final boolean list;

    protected ScalarOrList(List<E> values, boolean list) {
        this.values = List.copyOf(values);
        this.list = list;
    }

    public final boolean isList() {
        return list;
    }

    public final int size() {
        return values.size();
    }

    /** The scalar; throws when this is a list ({@code kind} names the scalar type, e.g. "an int"). */
    protected final E scalar(String kind) {
        if (list) {
            throw new IllegalStateException("expected " + kind + ", got a list " + this);
        }
        return values.get(0);
    }

    /** The value for block {@code i}: a scalar applies to every block. */
    protected final E element(int i) {
        return list ? values.get(i) : values.get(0);
    }

    /** The {@code n} per-block values; a list must already have {@code n} entries ({@code key} names it). */
    protected final List<E> expanded(int n, String key) {
        if (!list) {
            List<E> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(values.get(0));
            }
            return out;
        }
        if (values.size() != n) {
            throw new IllegalArgumentException(key + " has " + values.size() + " entries " + this
                    + " but the model has " + n + " blocks");
        }
        return values;
    }

    /** Every value as written (one for a scalar). */
    protected final List<E> elements() {
        return values;
    }

    @Override
    public final String toString() {
        return list ? values.toString() : String.valueOf(values.get(0));
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((ScalarOrList<?>) o).list == list
                && ((ScalarOrList<?>) o).values.equals(values);
    }

    @Override
    public final int hashCode() {
        return values.hashCode() * 31 + (list ? 1 : 0);
    }

    /** Reads one element (the reader's typed {@code next...} call). */
    @FunctionalInterface
    public interface ElementReader<E> {
        E read(JsonReader in) throws IOException;
    }

    /** Writes one element. */
    @FunctionalInterface
    public interface ElementWriter<E> {
        void write(JsonWriter out, E value) throws IOException;
    }

    /** Gson adapter: a JSON scalar or an array of scalars, read and written by the element functions. */
    public abstract static class Adapter<E, T extends ScalarOrList<E>> extends TypeAdapter<T> {
        private final ElementReader<E> readElement;
        private final ElementWriter<E> writeElement;
        private final BiFunction<List<E>, Boolean, T> create;

        /** {@code create(values, isList)} makes the value from what was read. */
        protected Adapter(ElementReader<E> readElement, ElementWriter<E> writeElement,
                          BiFunction<List<E>, Boolean, T> create) {
            this.readElement = readElement;
            this.writeElement = writeElement;
            this.create = create;
        }

        @Override
        public final void write(JsonWriter out, T v) throws IOException {
            if (v == null) {
                out.nullValue();
            } else if (v.isList()) {
                out.beginArray();
                for (E x : v.elements()) {
                    writeElement.write(out, x);
                }
                out.endArray();
            } else {
                writeElement.write(out, v.elements().get(0));
            }
        }

        @Override
        public final T read(JsonReader in) throws IOException {
            JsonToken t = in.peek();
            if (t == JsonToken.NULL) {
                in.nextNull();
                return null;
            }
            if (t == JsonToken.BEGIN_ARRAY) {
                List<E> xs = new ArrayList<>();
                in.beginArray();
                while (in.hasNext()) {
                    xs.add(readElement.read(in));
                }
                in.endArray();
                return create.apply(xs, true);
            }
            return create.apply(List.of(readElement.read(in)), false);
        }
    }
}

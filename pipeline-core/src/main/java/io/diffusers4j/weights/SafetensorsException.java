// Error raised for a malformed or unreadable safetensors file.
package io.diffusers4j.weights;

import java.nio.file.Path;

/** A broken checkpoint file: the message always names the file, and the tensor when one is at fault. */
public class SafetensorsException extends IllegalArgumentException {
    private final transient Path file;
    private final String tensor;

    public SafetensorsException(Path file, String message) {
        this(file, null, message, null);
    }

    public SafetensorsException(Path file, String message, Throwable cause) {
        this(file, null, message, cause);
    }

    public SafetensorsException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    public SafetensorsException(Path file, String tensor, String message, Throwable cause) {
        super(file + (tensor == null ? "" : ": tensor '" + tensor + "'") + ": " + message, cause);
        this.file = file;
        this.tensor = tensor;
    }

    public Path file() {
        return file;
    }

    public String tensor() {
        return tensor;
    }
}

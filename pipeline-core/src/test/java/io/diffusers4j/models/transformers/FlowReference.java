// Access to reference-flow/transformers (scripts/reference/gen_mmdit.py): tiny checkpoints, case arrays, comparisons.
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.weights.SafetensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The recorded arrays of one model case and the parity check every transformer test uses. */
final class FlowReference {
    /** The task's tolerance: max abs difference against diffusers 0.30.3 (float32). */
    static final double TOLERANCE = 1e-4;

    private FlowReference() {
    }

    static Path dir() {
        return Fixtures.referenceFlowTransformers();
    }

    /** The model folder {@code name} (config.json + diffusion_pytorch_model.safetensors). */
    static Path model(String name) {
        return dir().resolve(name);
    }

    static <C extends ConfigBase> C config(String model, Class<C> type) {
        return ConfigBase.load(model(model).resolve("config.json"), type);
    }

    static SafetensorsFile weights(String model) {
        return SafetensorsFile.open(model(model).resolve("diffusion_pytorch_model.safetensors"));
    }

    static boolean has(String caseName, String array) {
        return Files.exists(dir().resolve(caseName).resolve(array + ".npy"));
    }

    /** The recorded float32 array {@code <case>/<array>.npy} in {@code m}. */
    static NDArray npy(NDManager m, String caseName, String array) {
        try {
            Npy.Array a = Npy.read(dir().resolve(caseName).resolve(array + ".npy"));
            return m.create(a.floats(), new Shape(a.shape()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts max |actual - expected| below the tolerance, printing the measured difference; returns it. */
    static double check(String label, NDArray actual, NDArray expected) {
        double diff = ModelTestSupport.maxAbsDiff(actual, expected);
        System.out.printf("%s: max abs diff %.3g (max |expected| %.3g)%n", label, diff,
                ModelTestSupport.maxAbs(expected));
        assertTrue(diff < TOLERANCE, label + ": max abs diff " + diff + " >= " + TOLERANCE);
        return diff;
    }
}

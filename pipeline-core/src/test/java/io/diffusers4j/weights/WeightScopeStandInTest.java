// Strict loading's zero stand-ins for missing or mis-shaped tensors are bounded: a huge one stops the load instead.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 5, below the configs' own checks: before, every missing or mis-shaped tensor got zeros of the
 * model's shape (a [2^20, 2^20] request asked libtorch for 4 TiB and failed with an engine error, a merely large
 * one allocated it); now stand-ins are limited to {@link WeightScope#MAX_STAND_IN_BYTES} per load, past which the
 * load stops with the {@link WeightLoadException} of what it found so far.
 */
class WeightScopeStandInTest {
    @Test
    void aHugeStandInStopsTheLoadInsteadOfAllocatingIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            MapTensorSource src = new MapTensorSource(Map.of("a", m.zeros(new Shape(2, 2))),
                    "ckpt");
            WeightScope mismatched = WeightScope.load(src, m, DataType.FLOAT32);
            WeightLoadException e = assertThrows(WeightLoadException.class,
                    () -> mismatched.get("a", 1 << 20, 1 << 20));
            assertEquals(1, e.mismatched().size());
            assertTrue(e.mismatched().get(0).startsWith("a: checkpoint [2, 2] vs model [1048576, 1048576] (loading "
                    + "stopped here"), e.mismatched().toString());

            WeightScope missing = WeightScope.load(src, m, DataType.FLOAT32);
            e = assertThrows(WeightLoadException.class, () -> missing.get("b", Long.MAX_VALUE, 4));
            assertTrue(e.missing().get(0).startsWith("b [9223372036854775807, 4] (loading stopped here"),
                    e.missing().toString());
        }
    }

    @Test
    void smallStandInsStillLetFinishReportEveryProblemAtOnce() {
        try (NDManager m = NDManager.newBaseManager()) {
            MapTensorSource src = new MapTensorSource(Map.of("a", m.zeros(new Shape(2, 2)),
                    "c", m.zeros(new Shape(1))), "ckpt");
            WeightScope scope = WeightScope.load(src, m, DataType.FLOAT32);
            assertEquals(9, scope.get("a", 3, 3).size());
            assertEquals(1024, scope.get("b", 1024).size());
            WeightLoadException e = assertThrows(WeightLoadException.class, scope::finish);
            assertEquals(1, e.mismatched().size());
            assertEquals(1, e.missing().size());
            assertEquals(List.of("c"), e.unused());
        }
    }
}

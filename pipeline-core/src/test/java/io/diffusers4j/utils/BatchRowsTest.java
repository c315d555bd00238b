// A generator for a part of a batch draws exactly its rows of the single generator's whole-batch draws.
package io.diffusers4j.utils;

import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BatchRowsTest {
    /**
     * Every window of batches whose draws take each path of torch's randn: fewer than 16 values (the cached double
     * Box-Muller), multiples of 16, and a tail that redraws the last 16 slots; rows that start or end inside a block
     * of 16; two draws in a row (the generator must end where the whole draw leaves it).
     */
    @Test
    void everyWindowEqualsItsRowsOfTheWholeDrawAndLeavesTheGeneratorWhereTheWholeDrawDoes() {
        long[][] rowShapes = {{1}, {3}, {4, 1, 1}, {2, 3}, {16}, {4, 2, 3}, {4, 5, 5}, {4, 8, 8}};
        for (long[] row : rowShapes) {
            for (int total = 1; total <= 7; total++) {
                for (int first = 0; first < total; first++) {
                    for (int count = 1; first + count <= total; count++) {
                        checkWindow(row, total, first, count);
                    }
                }
            }
        }
    }

    private static void checkWindow(long[] row, int total, int first, int count) {
        long seed = 1000L * total + 10L * first + count;
        long[] whole = shape(total, row);
        long[] part = shape(count, row);
        int rowSize = (int) new Shape(row).size();
        TorchGenerator single = new TorchGenerator(seed);
        TorchGenerator rows = TorchGenerator.forBatchRows(seed, first, count, total);
        for (int draw = 0; draw < 2; draw++) {
            float[] expected = Arrays.copyOfRange(single.randn(whole), first * rowSize, (first + count) * rowSize);
            float[] got = RandnTensor.randn(new Shape(part), List.of(rows));
            assertArrayEquals(expected, got, "rows " + first + "+" + count + " of " + total + " x "
                    + Arrays.toString(row) + ", draw " + draw);
        }
        // a draw over the call's inputs (an input image's posterior sample) is whole, from the same stream
        assertArrayEquals(single.randn(1, 3), RandnTensor.randnInputs(new Shape(1, 3), List.of(rows)));
    }

    private static long[] shape(int batch, long[] row) {
        long[] s = new long[row.length + 1];
        s[0] = batch;
        System.arraycopy(row, 0, s, 1, row.length);
        return s;
    }

    @Test
    void aDrawThatIsNotOverTheRowsAndRowsOutsideTheBatchAreRefused() {
        TorchGenerator rows = TorchGenerator.forBatchRows(1, 2, 2, 5);
        assertThrows(IllegalStateException.class, () -> RandnTensor.randn(new Shape(3, 4), List.of(rows)));
        assertThrows(IllegalArgumentException.class, () -> new BatchRows(4, 2, 5));
        assertThrows(IllegalArgumentException.class, () -> new BatchRows(0, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> new BatchRows(-1, 1, 5));
    }
}

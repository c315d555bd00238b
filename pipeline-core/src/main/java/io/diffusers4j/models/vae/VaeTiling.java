// Port of AutoencoderKL.tiled_encode / tiled_decode / blend_v / blend_h (diffusers 0.30).
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Tiled processing exactly as diffusers does it: tiles of {@code tileIn} pixels every {@code overlap} pixels, each
 * mapped by {@code fn} to a tile of (about) {@code tileOut} pixels; row by row, each tile is blended in place with the
 * already blended tile above ({@code blend_v}) and to its left ({@code blend_h}) over {@code blendExtent} rows/columns,
 * cropped to {@code rowLimit}, and the crops are concatenated. Blending weights are diffusers' Python floats
 * {@code 1 - y / extent} and {@code y / extent}, applied in float32.
 */
final class VaeTiling {
    private VaeTiling() {
    }

    /**
     * @param x           [B, C, H, W] input (latents for decoding, images for encoding)
     * @param tileIn      input tile size ({@code tile_latent_min_size} or {@code tile_sample_min_size})
     * @param overlap     stride between tiles ({@code int(tileIn * (1 - tile_overlap_factor))})
     * @param blendExtent {@code int(tileOut * tile_overlap_factor)}
     * @param rowLimit    {@code tileOut - blendExtent}
     */
    static NDArray tiled(NDArray x, int tileIn, int overlap, int blendExtent, int rowLimit,
                         UnaryOperator<NDArray> fn) {
        long height = x.getShape().get(2);
        long width = x.getShape().get(3);
        List<List<NDArray>> rows = new ArrayList<>();
        for (long i = 0; i < height; i += overlap) {
            List<NDArray> row = new ArrayList<>();
            for (long j = 0; j < width; j += overlap) {
                try (NDArray tile = x.get(new NDIndex(":, :, {}:{}, {}:{}", i, Math.min(height, i + tileIn), j,
                        Math.min(width, j + tileIn)))) {
                    row.add(fn.apply(tile));
                }
            }
            rows.add(row);
        }
        NDList resultRows = new NDList();
        for (int i = 0; i < rows.size(); i++) {
            List<NDArray> row = rows.get(i);
            NDList resultRow = new NDList();
            for (int j = 0; j < row.size(); j++) {
                NDArray tile = row.get(j);
                if (i > 0) {
                    tile = blend(rows.get(i - 1).get(j), tile, blendExtent, 2);
                }
                if (j > 0) {
                    tile = blend(row.get(j - 1), tile, blendExtent, 3);
                }
                row.set(j, tile); // diffusers blends in place: later tiles see the blended neighbour
                resultRow.add(tile.get(new NDIndex(":, :, :{}, :{}", rowLimit, rowLimit)));
            }
            resultRows.add(NDArrays.concat(resultRow, 3));
        }
        return NDArrays.concat(resultRows, 2);
    }

    /** {@code blend_v} (axis 2) / {@code blend_h} (axis 3): returns the new {@code b}. */
    static NDArray blend(NDArray a, NDArray b, int blendExtent, int axis) {
        long extent = Math.min(Math.min(a.getShape().get(axis), b.getShape().get(axis)), blendExtent);
        if (extent <= 0) {
            return b;
        }
        long aLen = a.getShape().get(axis);
        long bLen = b.getShape().get(axis);
        float[] wa = new float[(int) extent];
        float[] wb = new float[(int) extent];
        for (int y = 0; y < extent; y++) {
            wa[y] = (float) (1 - (double) y / extent);
            wb[y] = (float) ((double) y / extent);
        }
        NDManager m = b.getManager();
        long[] wShape = axis == 2 ? new long[] {1, 1, extent, 1} : new long[] {1, 1, 1, extent};
        String aSlice = axis == 2 ? ":, :, {}:{}, :" : ":, :, :, {}:{}";
        try (NDArray wA = m.create(wa, new Shape(wShape));
             NDArray wB = m.create(wb, new Shape(wShape));
             NDArray aPart = a.get(new NDIndex(aSlice, aLen - extent, aLen));
             NDArray bPart = b.get(new NDIndex(aSlice, 0, extent));
             NDArray bRest = b.get(new NDIndex(aSlice, extent, bLen));
             NDArray pa = weighted(aPart, wA);
             NDArray pb = weighted(bPart, wB);
             NDArray blended = pa.add(pb)) {
            return NDArrays.concat(new NDList(blended, bRest), axis);
        }
    }

    /** {@code x * w} with the float32 weights applied like a Python float scalar (computed in float32). */
    private static NDArray weighted(NDArray x, NDArray w) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x.mul(w);
        }
        try (NDArray x32 = x.toType(DataType.FLOAT32, false); NDArray p = x32.mul(w)) {
            return p.toType(x.getDataType(), false);
        }
    }
}

// Port of EmbedND and rope() of diffusers 0.30.3's transformer_flux.py (FLUX's rotary position table).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.Arrays;
import java.util.List;

/**
 * The rotary table of FLUX: for position ids {@code [B, L, n_axes]} (text ids then image ids, as the model
 * concatenates them) and one rotary dimension {@code axes_dim[i]} per axis, the angles {@code pos * theta^(-2k/d)},
 * {@code k < d/2}, of every axis concatenated along the pair index ({@code sum(axes_dim) / 2} pairs, the head
 * dimension / 2). Computed as diffusers does: frequencies, angles, sines and cosines in float64 (diffusers' einsum
 * promotes the float32 ids to float64), rounded to float32. 0.30.3 takes ids with a batch axis ({@code [B, L, 3]});
 * ids without it ({@code [L, 3]}, as later diffusers pass them) are taken as one row for every sample.
 *
 * <p>The angles are computed on the host (a few hundred thousand values for a 1024x1024 FLUX image); the last table
 * is kept, so the steps of a denoising loop, whose ids do not change, compute it once.
 */
public final class EmbedND {
    private final int theta;
    private final int[] axesDim;
    private final int pairs;
    private volatile Table last;

    /** Host tables of one set of ids: {@code cos} and {@code sin} {@code [rows, L, pairs]}. */
    private record Table(float[] ids, long rows, long length, float[] cos, float[] sin) {
    }

    /** {@code EmbedND(dim, theta, axes_dim)} ({@code dim} is not used by diffusers either). */
    public EmbedND(int theta, List<Integer> axesDim) {
        this.theta = theta;
        this.axesDim = axesDim.stream().mapToInt(Integer::intValue).toArray();
        int sum = 0;
        for (int d : this.axesDim) {
            if (d < 2 || d % 2 != 0) {
                throw new IllegalArgumentException("EmbedND: every rotary axis dimension must be even and >= 2 "
                        + "(The dimension must be even.), got axes_dim " + axesDim);
            }
            sum += d;
        }
        this.pairs = sum / 2;
    }

    /** The rotary dimension (the attention head dimension it applies to). */
    public int dim() {
        return pairs * 2;
    }

    /**
     * {@code ids [B, L, n_axes]} or {@code [L, n_axes]} (any numeric dtype) to the rotary table, its arrays in the
     * manager of {@code ids}. When every row of a batch holds the same ids the table has one row, broadcast over the
     * batch.
     */
    public RotaryEmbedding forward(NDArray ids) {
        long[] shape = ids.getShape().getShape();
        if ((shape.length != 2 && shape.length != 3) || shape[shape.length - 1] != axesDim.length) {
            throw new IllegalArgumentException("position ids must be [batch, length, " + axesDim.length + "] (or "
                    + "[length, " + axesDim.length + "]) for axes_dims_rope " + Arrays.toString(axesDim) + ", got "
                    + ids.getShape());
        }
        float[] values;
        if (ids.getDataType() == DataType.FLOAT32) {
            values = ids.toFloatArray();
        } else {
            try (NDArray f = ids.toType(DataType.FLOAT32, false)) {
                values = f.toFloatArray();
            }
        }
        long rows = shape.length == 3 ? shape[0] : 1;
        long length = shape[shape.length - 2];
        Table table = table(values, rows, length);
        return new RotaryEmbedding(ids.getManager(), table.rows(), table.length(), pairs, table.cos(), table.sin());
    }

    private Table table(float[] ids, long rows, long length) {
        Table t = last;
        if (t != null && t.length() == length && Arrays.equals(t.ids(), ids)) {
            return t;
        }
        int stride = (int) (length * axesDim.length);
        boolean sameRows = true;
        for (int r = 1; r < rows && sameRows; r++) {
            sameRows = Arrays.equals(ids, 0, stride, ids, r * stride, (r + 1) * stride);
        }
        long kept = sameRows ? 1 : rows;
        float[] cos = new float[Math.toIntExact(kept * length * pairs)];
        float[] sin = new float[cos.length];
        double[][] omega = new double[axesDim.length][];
        for (int a = 0; a < axesDim.length; a++) {
            omega[a] = new double[axesDim[a] / 2];
            for (int k = 0; k < omega[a].length; k++) {
                omega[a][k] = 1.0 / Math.pow(theta, (2.0 * k) / axesDim[a]);
            }
        }
        int p = 0;
        for (int r = 0; r < kept; r++) {
            for (int l = 0; l < length; l++) {
                int base = r * stride + l * axesDim.length;
                for (int a = 0; a < axesDim.length; a++) {
                    double pos = ids[base + a];
                    for (double f : omega[a]) {
                        double angle = pos * f;
                        cos[p] = (float) Math.cos(angle);
                        sin[p] = (float) Math.sin(angle);
                        p++;
                    }
                }
            }
        }
        Table out = new Table(ids, kept, length, cos, sin);
        last = out;
        return out;
    }
}

// Port of diffusers.models.embeddings.PatchEmbed (with get_2d_sincos_pos_embed and SD3's pos_embed_max_size cropping).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.weights.WeightScope;

/**
 * Latents {@code [B, C, H, W]} to patch tokens {@code [B, (H/p)*(W/p), embed_dim]}: a {@code p x p} convolution with
 * stride {@code p} ({@code proj}), flattened row-major, plus a fixed 2-D sine-cosine position table. The
 * {@code layer_norm=False, flatten=True, bias=True, pos_embed_type="sincos"} form of diffusers (the one SD3 builds).
 *
 * <p>With {@code pos_embed_max_size} (SD3) the table covers a {@code max x max} patch grid, is a persistent buffer
 * ({@code pos_embed.pos_embed [1, max*max, dim]} in the checkpoint, read strictly; computed when random-initialising)
 * and each input takes the centred {@code (H/p) x (W/p)} crop of it; inputs beyond {@code max} patches are refused
 * with diffusers' message. Without it the table is computed for the {@code sample_size / p} grid (not a checkpoint
 * tensor) and recomputed for other input sizes with the same {@code base_size}.
 */
public final class PatchEmbed {
    private final Conv2d proj;
    private final int patchSize;
    private final int embedDim;
    private final Integer posEmbedMaxSize;
    private final int gridHeight;
    private final int gridWidth;
    private final int baseSize;
    private final double interpolationScale;
    /** {@code [1, grid*grid, dim]} in the model's dtype (float32 tables cast like diffusers' buffer {@code .to}). */
    private final NDArray posEmbed;
    /** With {@code pos_embed_max_size}: the same table viewed as {@code [1, max, max, dim]}, for cropping. */
    private final NDArray spatialPosEmbed;

    /**
     * {@code PatchEmbed(height, width, patch_size, in_channels, embed_dim, interpolation_scale=1,
     * pos_embed_max_size)}; {@code embed_dim} must be a multiple of 4 (two sine-cosine halves).
     */
    public PatchEmbed(WeightScope scope, int height, int width, int patchSize, int inChannels, int embedDim,
                      Integer posEmbedMaxSize) {
        if (embedDim % 4 != 0) {
            throw new IllegalArgumentException("PatchEmbed: embed_dim must be divisible by 4 for the 2-D sine-cosine "
                    + "table (embed_dim must be divisible by 2, twice), got " + embedDim);
        }
        this.proj = Conv2d.load(scope.pp("proj"), inChannels, embedDim, patchSize, patchSize, 0);
        this.patchSize = patchSize;
        this.embedDim = embedDim;
        this.posEmbedMaxSize = posEmbedMaxSize;
        this.gridHeight = height / patchSize;
        this.gridWidth = width / patchSize;
        this.baseSize = height / patchSize;
        this.interpolationScale = 1;
        int grid = posEmbedMaxSize != null ? posEmbedMaxSize
                : (int) Math.sqrt((double) gridHeight * gridWidth);   // int(num_patches ** 0.5)
        float[] table = sinCos2d(embedDim, grid, grid, baseSize, interpolationScale);
        long[] shape = {1, (long) grid * grid, embedDim};
        if (posEmbedMaxSize != null) {
            this.posEmbed = scope.buffer("pos_embed", table, shape);
            this.spatialPosEmbed = posEmbed.reshape(1, grid, grid, embedDim);
        } else {
            this.spatialPosEmbed = null;
            NDArray t = scope.manager().create(table, new Shape(shape));
            this.posEmbed = scope.dtype() == DataType.FLOAT32 ? t : t.toType(scope.dtype(), false);
        }
    }

    /** {@code latent [B, C, H, W]} to {@code [B, (H/p)*(W/p), dim]} in its manager. */
    public NDArray forward(NDArray latent) {
        long b = latent.getShape().get(0);
        int h = Math.toIntExact(latent.getShape().get(2) / patchSize);
        int w = Math.toIntExact(latent.getShape().get(3) / patchSize);
        if (posEmbedMaxSize != null) {
            checkCrop(h, w);
        }
        NDArray tokens;
        try (NDArray conv = proj.forward(latent); NDArray flat = conv.reshape(b, embedDim, (long) h * w)) {
            tokens = flat.transpose(0, 2, 1);
        }
        try (NDArray pos = positions(latent.getManager(), h, w)) {
            NDArray out = tokens.add(pos);
            tokens.close();
            return out;
        }
    }

    /**
     * The table rows of an {@code h x w} patch grid, {@code [1, h*w, dim]}, in {@code manager} (the weights' manager is
     * capped: every op on the table names the call's manager).
     */
    private NDArray positions(NDManager manager, int h, int w) {
        if (posEmbedMaxSize != null) {
            int top = (posEmbedMaxSize - h) / 2;
            int left = (posEmbedMaxSize - w) / 2;
            try (NDArray crop = spatialPosEmbed.get(manager,
                    new NDIndex(":, {}:{}, {}:{}, :", top, top + h, left, left + w))) {
                return crop.reshape(1, (long) h * w, embedDim);
            }
        }
        if (h == gridHeight && w == gridWidth) {
            return posEmbed.get(manager, new NDIndex(":"));
        }
        float[] table = sinCos2d(embedDim, h, w, baseSize, interpolationScale);
        NDArray t = manager.create(table, new Shape(1, (long) h * w, embedDim));
        if (posEmbed.getDataType() == DataType.FLOAT32) {
            return t;
        }
        try (t) {
            return t.toType(posEmbed.getDataType(), false);
        }
    }

    private void checkCrop(int h, int w) {
        if (h > posEmbedMaxSize) {
            throw new IllegalArgumentException("Height (" + h + ") cannot be greater than `pos_embed_max_size`: "
                    + posEmbedMaxSize + ".");
        }
        if (w > posEmbedMaxSize) {
            throw new IllegalArgumentException("Width (" + w + ") cannot be greater than `pos_embed_max_size`: "
                    + posEmbedMaxSize + ".");
        }
    }

    /**
     * diffusers' {@code get_2d_sincos_pos_embed(embed_dim, (gridH, gridW), base_size, interpolation_scale)}, row-major
     * over the grid: the grid coordinates in float32 ({@code arange / (n / base_size) / interpolation_scale}), the
     * sines and cosines in float64, rounded to float32 at the end. Each row is {@code [sin, cos]} of the column
     * coordinate times the frequencies, then {@code [sin, cos]} of the row coordinate (diffusers' meshgrid puts the
     * width first).
     */
    public static float[] sinCos2d(int embedDim, int gridH, int gridW, int baseSize, double interpolationScale) {
        int half = embedDim / 2;
        int quarter = half / 2;
        double[] omega = new double[quarter];
        for (int i = 0; i < quarter; i++) {
            omega[i] = 1.0 / Math.pow(10000, i / (half / 2.0));
        }
        float[] rows = gridCoordinates(gridH, baseSize, interpolationScale);
        float[] cols = gridCoordinates(gridW, baseSize, interpolationScale);
        float[] out = new float[gridH * gridW * embedDim];
        int p = 0;
        for (int i = 0; i < gridH; i++) {
            for (int j = 0; j < gridW; j++) {
                p = sinCos1d(out, p, cols[j], omega);
                p = sinCos1d(out, p, rows[i], omega);
            }
        }
        return out;
    }

    private static float[] gridCoordinates(int n, int baseSize, double interpolationScale) {
        float step = (float) (n / (double) baseSize);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) i / step / (float) interpolationScale;
        }
        return out;
    }

    private static int sinCos1d(float[] out, int p, float position, double[] omega) {
        for (double f : omega) {
            out[p++] = (float) Math.sin(position * f);
        }
        for (double f : omega) {
            out[p++] = (float) Math.cos(position * f);
        }
        return p;
    }
}

// Port of transformers.models.clip.modeling_clip.CLIPTextTransformer, CLIPTextEmbeddings and CLIPEncoder (4.45).
package io.diffusers4j.models.clip;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;
import io.diffusers4j.utils.HostArrays;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The text tower shared by {@link CLIPTextModel} and {@link CLIPTextModelWithProjection}: token + position
 * embeddings, {@code num_hidden_layers} pre-LN blocks under a causal mask (plus an optional padding mask), then
 * {@code final_layer_norm} and EOS pooling. Built under the {@code text_model} scope.
 */
final class CLIPTextTransformer {
    private final CLIPTextConfig config;
    /** Replaced (never modified) when textual-inversion rows are appended. */
    private volatile NDArray tokenEmbedding;
    /** The checkpoint's matrix: kept (it may be a view of the memory-mapped file); appended copies replace it. */
    private final NDArray checkpointEmbedding;
    private final NDArray positionEmbedding;
    private final List<CLIPEncoderLayer> layers = new ArrayList<>();
    private final LayerNorm finalLayerNorm;
    private final AttentionOptions attentionOptions = new AttentionOptions();

    /** Builds under {@code scope} = {@code text_model}, in transformers' state-dict order. */
    CLIPTextTransformer(WeightScope scope, CLIPTextConfig config) {
        config.validate();
        this.config = config;
        WeightScope embeddings = scope.pp("embeddings");
        this.tokenEmbedding = embeddings.get("token_embedding.weight", config.vocabSize, config.hiddenSize);
        this.checkpointEmbedding = tokenEmbedding;
        this.positionEmbedding = embeddings.get("position_embedding.weight", config.maxPositionEmbeddings,
                config.hiddenSize);
        // CLIPTextEmbeddings.position_ids is a non-persistent buffer; checkpoints saved before transformers 4.31
        // still contain it. It is arange(max_position_embeddings) and carries nothing we need.
        scope.allowUnused(Pattern.quote(embeddings.key("position_ids")));
        WeightScope encoderLayers = scope.pp("encoder").pp("layers");
        for (int i = 0; i < config.numHiddenLayers; i++) {
            layers.add(new CLIPEncoderLayer(encoderLayers.pp(i), config));
        }
        this.finalLayerNorm = LayerNorm.load(scope.pp("final_layer_norm"), config.hiddenSize, config.layerNormEps);
    }

    CLIPTextConfig config() {
        return config;
    }

    AttentionOptions attentionOptions() {
        return attentionOptions;
    }

    DataType dtype() {
        return tokenEmbedding.getDataType();
    }

    /** The rows of the token embedding matrix (the vocabulary size the ids are checked against). */
    long tokenEmbeddingRows() {
        return tokenEmbedding.getShape().get(0);
    }

    /**
     * {@code resize_token_embeddings(rows + n)} with the new rows set to {@code rows} ({@code [n, hidden_size]}):
     * the matrix is replaced by the concatenation, in the old matrix's manager (the old one, possibly a view of the
     * memory-mapped checkpoint, is left as it is). Returns the first new id. Not safe while the model runs.
     */
    synchronized long appendTokenEmbeddings(NDArray rows) {
        NDArray old = tokenEmbedding;
        Shape shape = rows.getShape();
        if (shape.dimension() != 2 || shape.get(1) != config.hiddenSize) {
            throw new IllegalArgumentException("token embedding rows must be [n, " + config.hiddenSize + "], got "
                    + shape);
        }
        try (NDArray onDevice = rows.toDevice(old.getDevice(), true);
             NDArray converted = onDevice.toType(old.getDataType(), true)) {
            tokenEmbedding = old.concat(converted, 0);
        }
        if (old != checkpointEmbedding) { // an earlier appended copy: nothing else holds it
            old.close();
        }
        return old.getShape().get(0);
    }

    /**
     * Drops the rows beyond {@code rows} that {@link #appendTokenEmbeddings} added: the checkpoint's matrix again
     * when no appended row stays, else a copy of the first {@code rows}. Not safe while the model runs.
     */
    synchronized void truncateTokenEmbeddings(long rows) {
        NDArray old = tokenEmbedding;
        long base = checkpointEmbedding.getShape().get(0);
        if (rows < base || rows > old.getShape().get(0)) {
            throw new IllegalArgumentException("the token embeddings can be cut to " + base + ".."
                    + old.getShape().get(0) + " rows (the checkpoint's and the appended ones), not " + rows);
        }
        if (rows == old.getShape().get(0)) {
            return;
        }
        if (rows == base) {
            tokenEmbedding = checkpointEmbedding;
        } else {
            try (NDArray view = old.get(new NDIndex("0:{}", rows))) {
                NDArray copy = view.duplicate();
                copy.attach(old.getManager());
                tokenEmbedding = copy;
            }
        }
        old.close();
    }

    /** {@code final_layer_norm(x)}; the result belongs to the manager of {@code x}. */
    NDArray finalLayerNorm(NDArray x) {
        return finalLayerNorm.forward(x);
    }

    /**
     * Runs the tower. All temporaries live in a sub-manager of {@code inputIds}' manager that is closed before
     * returning; only the outputs are attached to that manager.
     *
     * @param inputIds      int64 (or int32) {@code [B, L]}, {@code L <= max_position_embeddings}
     * @param attentionMask {@code [B, L]} of 1 (keep) / 0 (padding), or null
     * @param projection    {@code text_projection} applied to the pooled output, or null
     */
    CLIPTextOutput forward(NDArray inputIds, NDArray attentionMask, boolean outputHiddenStates, Linear projection) {
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("input_ids must be [batch, seq_len], got shape " + shape);
        }
        int batch = Math.toIntExact(shape.get(0));
        int len = Math.toIntExact(shape.get(1));
        if (len > config.maxPositionEmbeddings) {
            throw new IllegalArgumentException("Sequence length must be less than max_position_embeddings (got "
                    + "sequence length: " + len + " and max_position_embeddings: " + config.maxPositionEmbeddings + ")");
        }
        if (len == 0 || batch == 0) {
            throw new IllegalArgumentException("input_ids must not be empty, got shape " + shape);
        }
        DataType idType = inputIds.getDataType();
        if (idType != DataType.INT64 && idType != DataType.INT32) {
            throw new IllegalArgumentException("input_ids must be int64 or int32, got " + idType);
        }
        long[] ids = idType == DataType.INT64 ? inputIds.toLongArray() : widen(inputIds.toIntArray());
        NDArray embeddingMatrix = tokenEmbedding;
        long vocab = embeddingMatrix.getShape().get(0);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("input_ids[" + i / len + ", " + i % len + "] = " + ids[i]
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        float[] maskValues = attentionMask == null ? null : paddingMask(attentionMask, batch, len);

        NDManager parent = inputIds.getManager();
        Device device = tokenEmbedding.getDevice();
        try (NDManager sub = parent.newSubManager(device)) {
            DataType dtype = dtype();
            NDArray idArray = sub.create(ids, new Shape(batch, len));
            long[] positionIds = new long[len];
            for (int j = 0; j < len; j++) {
                positionIds[j] = j;
            }
            NDArray positions = sub.create(positionIds, new Shape(1, len));
            NDArray tokens = Embedding.embedding(idArray, embeddingMatrix, SparseFormat.DENSE)
                    .singletonOrThrow();
            NDArray pos = Embedding.embedding(positions, positionEmbedding, SparseFormat.DENSE)
                    .singletonOrThrow();
            NDArray hidden = tokens.add(pos);
            NDArray mask = sub.create(causalMask(maskValues, batch, len, dtype),
                    maskValues == null ? new Shape(1, len, len) : new Shape(batch, 1, len, len));
            if (dtype != DataType.FLOAT32) {
                mask = mask.toType(dtype, false);
            }
            if (maskValues != null) {
                int heads = config.numAttentionHeads;
                mask = mask.repeat(1, heads).reshape((long) batch * heads, len, len);
            }

            List<NDArray> states = outputHiddenStates ? new ArrayList<>() : null;
            for (CLIPEncoderLayer layer : layers) {
                if (states != null) {
                    states.add(hidden);
                }
                hidden = layer.forward(hidden, mask, attentionOptions);
            }
            if (states != null) {
                states.add(hidden);
            }
            NDArray last = finalLayerNorm.forward(hidden);
            NDList rows = new NDList(batch);
            for (int b = 0; b < batch; b++) {
                rows.add(last.get(b, eosIndex(ids, b, len)));
            }
            NDArray pooled = NDArrays.stack(rows);
            NDArray embeds = projection == null ? null : projection.forward(pooled);

            last.attach(parent);
            pooled.attach(parent);
            if (embeds != null) {
                embeds.attach(parent);
            }
            if (states != null) {
                states.forEach(s -> s.attach(parent));
            }
            return new CLIPTextOutput(last, pooled, embeds, states == null ? null : List.copyOf(states));
        }
    }

    /**
     * transformers' pooling rule: with the legacy {@code eos_token_id == 2} the position of the largest id (first
     * one on ties, like {@code argmax}); otherwise the first position holding {@code eos_token_id} (0 if none).
     */
    int eosIndex(long[] ids, int b, int len) {
        int base = b * len;
        int best = 0;
        if (config.eosTokenId == 2) {
            for (int j = 1; j < len; j++) {
                if ((int) ids[base + j] > (int) ids[base + best]) {
                    best = j;
                }
            }
            return best;
        }
        for (int j = 0; j < len; j++) {
            if (ids[base + j] == config.eosTokenId) {
                return j;
            }
        }
        return 0;
    }

    /**
     * {@code _prepare_4d_attention_mask}: 0 where the mask is 1, the dtype's lowest value wherever
     * {@code 1 - mask != 0}. Returned per {@code [b, key]}.
     */
    private float[] paddingMask(NDArray attentionMask, int batch, int len) {
        if (!attentionMask.getShape().equals(new Shape(batch, len))) {
            throw new IllegalArgumentException("attention_mask shape " + attentionMask.getShape()
                    + " does not match input_ids shape (" + batch + ", " + len + ")");
        }
        float[] m = HostArrays.floats(attentionMask);
        float min = lowest(dtype());
        float[] out = new float[m.length];
        for (int i = 0; i < m.length; i++) {
            out[i] = 1f - m[i] != 0f ? min : 0f;
        }
        return out;
    }

    /**
     * {@code _create_4d_causal_attention_mask} (lowest value above the diagonal, 0 elsewhere), plus the padding
     * mask when there is one, summed in float as transformers adds both to the scores. Shape {@code [1, L, L]}
     * or {@code [B, 1, L, L]}.
     */
    private static float[] causalMask(float[] padding, int batch, int len, DataType dtype) {
        float min = lowest(dtype);
        int planes = padding == null ? 1 : batch;
        float[] out = new float[planes * len * len];
        for (int b = 0; b < planes; b++) {
            for (int i = 0; i < len; i++) {
                for (int j = 0; j < len; j++) {
                    float v = j > i ? min : 0f;
                    if (padding != null) {
                        v += padding[b * len + j];
                    }
                    out[(b * len + i) * len + j] = v;
                }
            }
        }
        return out;
    }

    private static long[] widen(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    /** {@code torch.finfo(dtype).min} for the float dtypes the model runs in. */
    private static float lowest(DataType dtype) {
        return switch (dtype) {
            case FLOAT16 -> -65504f;
            case FLOAT32 -> -Float.MAX_VALUE;
            default -> throw new IllegalArgumentException("CLIP text model runs in float32 or float16, not " + dtype);
        };
    }
}

// Port of transformers.models.t5.modeling_t5.T5EncoderModel (transformers d6751d91): the text encoder of SD3 / FLUX.
package io.diffusers4j.models.t5;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;
import io.diffusers4j.utils.HostArrays;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * T5's encoder as transformers' {@code T5EncoderModel} (Stable Diffusion 3's {@code text_encoder_3}, FLUX.1's
 * {@code text_encoder_2}: T5 v1.1 XXL). Checkpoint keys exactly as transformers saves them: {@code shared.weight},
 * {@code encoder.block.N.layer.0.SelfAttention.{q,k,v,o}.weight} (plus {@code relative_attention_bias.weight} in
 * block 0), {@code encoder.block.N.layer.0.layer_norm.weight},
 * {@code encoder.block.N.layer.1.DenseReluDense.{wi_0,wi_1,wo}.weight} (gated) or {@code {wi,wo}.weight},
 * {@code encoder.block.N.layer.1.layer_norm.weight}, {@code encoder.final_layer_norm.weight}.
 *
 * <p>{@code encoder.embed_tokens.weight} is tied to {@code shared.weight}: a checkpoint may hold either or both
 * (both: the shapes are checked against the config, {@code shared.weight} is used); {@link #stateDict()} names it
 * {@code shared.weight}, as {@code save_pretrained} writes it. Keys containing {@code decoder} are ignored as
 * transformers ignores them ({@code _keys_to_ignore_on_load_unexpected}), so the encoder of a full T5 checkpoint
 * loads when nothing else is left over.
 *
 * <p>float16 follows {@code from_pretrained(torch_dtype=torch.float16)}: the {@code wo} weights stay float32
 * ({@code _keep_in_fp32_modules}), the residual stream becomes float32 after the first feed-forward, the output is
 * float16. float16 is for GPUs: on the CPU it runs, about 100x slower than float32.
 *
 * <pre>{@code
 * T5Config cfg = T5Config.load(dir.resolve("config.json"));
 * try (TensorSource w = CheckpointFiles.open(dir, CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME, null, null);
 *      T5EncoderModel t5 = T5EncoderModel.load(cfg, w, manager, DataType.FLOAT32)) {
 *     NDArray promptEmbeds = t5.forward(inputIds); // [batch, seq, d_model]
 * }
 * }</pre>
 */
public final class T5EncoderModel extends OwnedModel<T5Config> {
    /**
     * Longest input accepted: T5 has no position table, but each block's attention scores are
     * {@code batch x num_heads x L x L} (SD3 and FLUX use at most 512 tokens).
     */
    public static final int MAX_SEQUENCE_LENGTH = 8192;

    private static final String SHARED = "shared.weight";
    private static final String EMBED_TOKENS = "encoder.embed_tokens.weight";

    private final NDArray shared;
    private final T5Stack encoder;
    private final WeightScope root;

    private T5EncoderModel(T5Config config, WeightScope root, NDManager owned) {
        super(config, root, owned);
        config.validate();
        this.root = root;
        // the decoder of a full T5 checkpoint (T5EncoderModel._keys_to_ignore_on_load_unexpected = [r"decoder"])
        root.allowUnused(".*decoder.*");
        if (root.contains(SHARED)) {
            this.shared = root.get(SHARED, config.vocabSize, config.dModel);
            root.allowUnused(Pattern.quote(EMBED_TOKENS)); // the tied duplicate (shape checked by the config)
        } else if (root.contains(EMBED_TOKENS)) {
            this.shared = root.get(EMBED_TOKENS, config.vocabSize, config.dModel);
        } else {
            this.shared = root.get(SHARED, config.vocabSize, config.dModel); // random init, or reported missing
        }
        this.encoder = new T5Stack(root.pp("encoder"), config);
    }

    /**
     * Loads the weights of {@code source} into a sub-manager of {@code manager} (freed by {@link #close()}) as
     * {@code dtype} (float32, or float16 with {@code wo} kept float32), strictly: a missing, unused or mis-shaped
     * key fails with all of them listed. The config is first checked against the checkpoint's shapes. The weights'
     * manager is capped once built: nothing a forward creates can land (and leak) there.
     */
    public static T5EncoderModel load(T5Config cfg, TensorSource source, NDManager manager, DataType dtype) {
        cfg.validate();
        checkDtype(dtype);
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new T5EncoderModel(cfg, root,
                owned));
    }

    /** A model with seeded random weights (deterministic per key), for tests and benchmarks. */
    public static T5EncoderModel randomInit(T5Config cfg, long seed, NDManager manager, DataType dtype) {
        cfg.validate();
        checkDtype(dtype);
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new T5EncoderModel(cfg, root,
                owned));
    }

    private static void checkDtype(DataType dtype) {
        // bfloat16: float32 tensors with bfloat16 linear layers (WeightScope); wo stays float32 like transformers'
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16 && dtype != DataType.BFLOAT16) {
            throw new IllegalArgumentException("T5EncoderModel runs in float32, float16 or bfloat16 (float32 with "
                    + "bfloat16 compute), not " + dtype);
        }
    }

    /** {@code forward(inputIds, null)}: no attention mask, as Stable Diffusion 3 and FLUX call it. */
    public NDArray forward(NDArray inputIds) {
        return forward(inputIds, null);
    }

    /**
     * {@code T5EncoderModel(input_ids, attention_mask).last_hidden_state}: {@code [batch, seq, d_model]} in the
     * model's dtype, in the manager of {@code inputIds}; every temporary is freed before returning.
     *
     * @param inputIds            int64 (or int32) {@code [batch, seq]}, ids in {@code [0, vocab_size)}
     * @param attentionMaskOrNull {@code [batch, seq]} of 1 (attend) / 0 (padding), any numeric or boolean type; null
     *                            attends everywhere
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMaskOrNull) {
        return forward(inputIds, attentionMaskOrNull, null);
    }

    /** {@link #forward(NDArray, NDArray)}, also handing out each block's output (in the result's manager). */
    NDArray forward(NDArray inputIds, NDArray attentionMaskOrNull, List<NDArray> blockOutputs) {
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2 || shape.get(0) < 1 || shape.get(1) < 1) {
            throw new IllegalArgumentException("input_ids must be a non-empty [batch, seq_len], got shape " + shape);
        }
        if (shape.get(1) > MAX_SEQUENCE_LENGTH) {
            throw new IllegalArgumentException("input_ids has " + shape.get(1) + " tokens, more than the "
                    + MAX_SEQUENCE_LENGTH + " T5EncoderModel accepts");
        }
        int batch = Math.toIntExact(shape.get(0));
        int length = Math.toIntExact(shape.get(1));
        long[] ids = hostIds(inputIds);
        long vocab = shared.getShape().get(0);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("input_ids[" + i / length + ", " + i % length + "] = " + ids[i]
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        float[] mask = null;
        if (attentionMaskOrNull != null) {
            if (!attentionMaskOrNull.getShape().equals(shape)) {
                throw new IllegalArgumentException("attention_mask shape " + attentionMaskOrNull.getShape()
                        + " does not match input_ids shape " + shape);
            }
            mask = HostArrays.floats(attentionMaskOrNull);
        }
        NDManager parent = inputIds.getManager();
        Device device = shared.getDevice();
        try (NDManager sub = parent.newSubManager(device)) {
            List<NDArray> blocks = blockOutputs == null ? null : new ArrayList<>();
            NDArray last = encoder.forward(sub, shared, ids, batch, length, mask, blocks);
            last.attach(parent);
            if (blocks != null) {
                blocks.forEach(b -> b.attach(parent));
                blockOutputs.addAll(blocks);
            }
            return last;
        }
    }

    /**
     * The state dict as {@code save_pretrained} writes it: {@code shared.weight} (whichever tied key it was read
     * from) then the encoder's weights, in transformers' order.
     */
    @Override
    public Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(SHARED, shared);
        for (Map.Entry<String, NDArray> e : root.tensors().entrySet()) {
            if (e.getValue() != shared) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static long[] hostIds(NDArray ids) {
        DataType type = ids.getDataType();
        if (type == DataType.INT64) {
            return ids.toLongArray();
        }
        if (type == DataType.INT32) {
            int[] v = ids.toIntArray();
            long[] out = new long[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i];
            }
            return out;
        }
        throw new IllegalArgumentException("input_ids must be int64 or int32, got " + type);
    }
}

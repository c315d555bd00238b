// Port of diffusers.models.unets.unet_2d.UNet2DModel (the unconditional UNet of DDPM / DDIM checkpoints).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.GaussianFourierProjection;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.TimestepEmbedding;
import io.diffusers4j.models.blocks.TimestepEmbeddingConfig;
import io.diffusers4j.models.blocks.Timesteps;
import io.diffusers4j.models.blocks.UNetMidBlock2D;
import io.diffusers4j.models.blocks.UNetMidBlock2DConfig;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * The unconditional 2-D UNet, built from a {@link UNet2DConfig} and a weight scope whose keys are diffusers'
 * ({@code down_blocks.1.attentions.0.to_q.weight}, ...), computing what diffusers 0.30's
 * {@code UNet2DModel.forward(sample, timestep, class_labels)} computes.
 *
 * <p>Supported: down blocks DownBlock2D and AttnDownBlock2D, up blocks UpBlock2D and AttnUpBlock2D (conv down- and
 * upsampling), the UNetMidBlock2D with or without attention; positional, Fourier and learned time embeddings;
 * class embeddings (a table of {@code num_class_embeds}, "timestep" and "identity"); resnet time scale shift
 * "default" or "scale_shift"; {@code center_input_sample}. Anything else is refused by
 * {@link UNet2DConfig#validate()}.
 *
 * <p>Memory: as {@link UNet2DConditionModel}: the weights live in a sub-manager the model owns (models made by
 * {@link #load(UNet2DConfig, TensorSource, NDManager, DataType)} or {@link #randomInit}); every forward runs in a
 * sub-manager of the sample's manager and only the result is attached to it.
 */
public final class UNet2DModel extends OwnedModel<UNet2DConfig> {
    private final AttentionOptions attentionOptions = new AttentionOptions();
    private final Conv2d convIn;
    private final Timesteps positional;
    private final GaussianFourierProjection fourier;
    /** The learned time embedding table {@code time_proj.weight} [num_train_timesteps, C]; or null. */
    private final NDArray learned;
    private final TimestepEmbedding timeEmbedding;
    private final TimestepEmbedding classTimestepEmbedding;
    /** The class embedding table {@code class_embedding.weight} [num_class_embeds, time_embed_dim]; or null. */
    private final NDArray classTable;
    private final List<UNet2DBlocks.DownBlock> downBlocks = new ArrayList<>();
    private final UNetMidBlock2D midBlock;
    private final List<UNet2DBlocks.UpBlock> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    private UNet2DModel(UNet2DConfig cfg, WeightScope root, NDManager owned) {
        super(cfg, root, owned);
        cfg.validate();
        int n = cfg.numBlocks();
        int[] boc = cfg.blockOutChannels;
        this.convIn = Conv2d.load(root.pp("conv_in"), cfg.inChannels, boc[0], 3, 1, 1);

        String timeType = cfg.timeEmbeddingType;
        this.positional = timeType.equals("positional")
                ? new Timesteps(root.manager(), boc[0], cfg.flipSinToCos, cfg.freqShift) : null;
        this.fourier = timeType.equals("fourier")
                ? new GaussianFourierProjection(root.pp("time_proj"), boc[0], true, false) : null;
        this.learned = timeType.equals("learned") ? root.get("time_proj.weight", cfg.numTrainTimesteps, boc[0])
                : null;
        int timeEmbedDim = cfg.timeEmbedDim();
        this.timeEmbedding = new TimestepEmbedding(root.pp("time_embedding"),
                TimestepEmbeddingConfig.of(cfg.timestepInputDim(), timeEmbedDim));
        if (cfg.classEmbedType == null && cfg.numClassEmbeds != null) {
            this.classTable = root.get("class_embedding.weight", cfg.numClassEmbeds, timeEmbedDim);
            this.classTimestepEmbedding = null;
        } else if ("timestep".equals(cfg.classEmbedType)) {
            this.classTable = null;
            this.classTimestepEmbedding = new TimestepEmbedding(root.pp("class_embedding"),
                    TimestepEmbeddingConfig.of(cfg.timestepInputDim(), timeEmbedDim));
        } else {
            this.classTable = null;
            this.classTimestepEmbedding = null;
        }

        ResnetArgs resnetArgs = ResnetArgs.defaults().withResnetEps(cfg.normEps).withResnetActFn(cfg.actFn)
                .withResnetGroups(cfg.normNumGroups).withResnetTimeScaleShift(cfg.resnetTimeScaleShift);
        int output = boc[0];
        for (int i = 0; i < n; i++) {
            int input = output;
            output = boc[i];
            DownBlock2DConfig block = DownBlock2DConfig.of(input, output, timeEmbedDim)
                    .withNumLayers(cfg.layersPerBlock).withResnetArgs(resnetArgs).withAddDownsample(i != n - 1)
                    .withDownsamplePadding(cfg.downsamplePadding);
            WeightScope scope = root.pp("down_blocks").pp(i);
            downBlocks.add(UNet2DBlocks.strip(cfg.downBlockTypes.get(i)).equals("AttnDownBlock2D")
                    ? new AttnDownBlock2D(scope, block, headDim(output), attentionOptions)
                    : new DownBlock2D(scope, block));
        }
        this.midBlock = new UNetMidBlock2D(root.pp("mid_block"), UNetMidBlock2DConfig.of(boc[n - 1], timeEmbedDim)
                .withResnetArgs(resnetArgs.withOutputScaleFactor(cfg.midBlockScaleFactor))
                .withAttentionHeadDim(headDim(boc[n - 1])).withAttnGroups(cfg.attnNormNumGroups)
                .withAddAttention(cfg.addAttention), attentionOptions);
        output = boc[n - 1];
        for (int i = 0; i < n; i++) {
            int prev = output;
            output = boc[n - 1 - i];
            int input = boc[Math.max(n - 2 - i, 0)];
            UpBlock2DConfig block = UpBlock2DConfig.of(input, prev, output, timeEmbedDim)
                    .withNumLayers(cfg.layersPerBlock + 1).withResnetArgs(resnetArgs).withAddUpsample(i != n - 1);
            WeightScope scope = root.pp("up_blocks").pp(i);
            upBlocks.add(UNet2DBlocks.strip(cfg.upBlockTypes.get(i)).equals("AttnUpBlock2D")
                    ? new AttnUpBlock2D(scope, block, headDim(output), attentionOptions)
                    : new UpBlock2D(scope, block));
        }
        this.convNormOut = GroupNorm.load(root.pp("conv_norm_out"), cfg.normNumGroups, boc[0], cfg.normEps);
        this.convOut = Conv2d.load(root.pp("conv_out"), boc[0], cfg.outChannels, 3, 1, 1);
    }

    /** {@code attention_head_dim}, or the block's channels (one head) when it is null. */
    private int headDim(int channels) {
        return config().attentionHeadDim != null ? config().attentionHeadDim : channels;
    }

    /** Builds the model on {@code root} without finishing it (call {@code root.finish()} for strict loading). */
    public static UNet2DModel load(UNet2DConfig cfg, WeightScope root) {
        return new UNet2DModel(cfg, root, null);
    }

    /** Loads strictly from {@code source} into a new sub-manager of {@code manager} that the model owns. */
    public static UNet2DModel load(UNet2DConfig cfg, TensorSource source, NDManager manager, DataType dtype) {
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new UNet2DModel(cfg, root, owned));
    }

    /** Seeded random weights in a new sub-manager of {@code manager} that the model owns. */
    public static UNet2DModel randomInit(UNet2DConfig cfg, long seed, NDManager manager, DataType dtype) {
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new UNet2DModel(cfg, root,
                owned));
    }

    /** The options every attention module of this model computes with (slicing, memory-efficient chunking). */
    public AttentionOptions attentionOptions() {
        return attentionOptions;
    }

    /** {@code unet(sample, timestep).sample} for a timestep given as a number. */
    public NDArray forward(NDArray sample, double timestep) {
        try (NDManager tmp = sample.getManager().newSubManager()) {
            NDArray t = timestep == Math.rint(timestep) && config().timeEmbeddingType.equals("learned")
                    ? tmp.create(new long[] {(long) timestep}) : tmp.create(new float[] {(float) timestep});
            return forward(sample, t, null);
        }
    }

    /**
     * {@code unet(sample, timestep, class_labels).sample}: {@code sample} {@code [B, in_channels, H, W]} in the
     * model's dtype; {@code timestep} 0-d, {@code [1]} or {@code [B]}; {@code classLabels} {@code [B]} class ids
     * (a class table), {@code [B]} values ("timestep") or {@code [B, time_embed_dim]} ("identity"), or null. The
     * result is attached to the sample's manager.
     */
    public NDArray forward(NDArray sample, NDArray timestep, NDArray classLabels) {
        checkInputs(sample, timestep);
        return ForwardScope.run(sample.getManager(), sub -> compute(sample, timestep, classLabels), sample,
                timestep, classLabels);
    }

    private void checkInputs(NDArray sample, NDArray timestep) {
        Shape shape = sample.getShape();
        if (shape.dimension() != 4 || shape.get(1) != config().inChannels) {
            throw new IllegalArgumentException("sample must be [batch, " + config().inChannels + ", height, width], got "
                    + shape);
        }
        int multiple = config().sizeMultiple();
        if (shape.get(2) % multiple != 0 || shape.get(3) % multiple != 0) {
            throw new IllegalArgumentException("UNet2DModel: the sample's height and width must be multiples of "
                    + multiple + " (2 ** (len(block_out_channels) - 1)), got " + shape);
        }
        requireDtype(sample, "sample");
        long count = timestep.getShape().size();
        if (timestep.getShape().dimension() > 1 || count != 1 && count != shape.get(0)) {
            throw new IllegalArgumentException("timestep must be 0-d, [1] or [batch=" + shape.get(0) + "], got shape "
                    + timestep.getShape());
        }
    }

    private NDArray compute(NDArray input, NDArray timestep, NDArray classLabels) {
        NDArray sample = config().centerInputSample ? input.mul(2f).subi(1f) : input;
        long batch = sample.getShape().get(0);
        // 1. time: timesteps * ones(batch)
        NDArray timesteps = timestep.reshape(-1);
        if (timesteps.getShape().get(0) != batch) {
            timesteps = timesteps.broadcast(batch);
        }
        NDArray emb = timeEmbedding.forward(toDtype(timeProjection(timesteps)), null);
        if (classTable != null || classTimestepEmbedding != null || "identity".equals(config().classEmbedType)) {
            if (classLabels == null) {
                throw new IllegalArgumentException("class_labels should be provided when doing class conditioning");
            }
            emb = emb.add(toDtype(classEmbedding(classLabels)));
        } else if (classLabels != null) {
            throw new IllegalArgumentException("class_embedding needs to be initialized in order to use class "
                    + "conditioning");
        }

        // 2. pre-process
        NDArray h = convIn.forward(sample);

        // 3. down
        List<NDArray> res = new ArrayList<>();
        res.add(h);
        CrossAttentionInputs none = new CrossAttentionInputs(null, null, null);
        for (UNet2DBlocks.DownBlock block : downBlocks) {
            UNet2DBlocks.DownOutput out = block.forward(h, emb, none);
            h = out.hidden();
            res.addAll(out.resSamples());
        }

        // 4. mid
        h = midBlock.forward(h, emb);

        // 5. up
        for (UNet2DBlocks.UpBlock block : upBlocks) {
            int k = block.numResnets();
            List<NDArray> mine = new ArrayList<>(res.subList(res.size() - k, res.size()));
            res.subList(res.size() - k, res.size()).clear();
            NDArray next = block.forward(h, mine, emb, none, null);
            h.close();
            mine.forEach(NDArray::close);
            h = next;
        }

        // 6. post-process (conv_act is SiLU whatever act_fn is)
        h = ForwardScope.replace(h, convNormOut.forward(h));
        h = ForwardScope.replace(h, Activations.siluInPlace(h));
        h = ForwardScope.replace(h, convOut.forward(h));
        if (fourier != null) {
            NDArray divisor = timesteps.toType(h.getDataType(), true).reshape(batch, 1, 1, 1);
            h = h.div(divisor);
        }
        return h;
    }

    /** {@code time_proj(timesteps)}: float32 {@code [B, timestep_input_dim]}. */
    private NDArray timeProjection(NDArray timesteps) {
        if (positional != null) {
            return positional.forward(timesteps);
        }
        if (fourier != null) {
            return fourier.forward(timesteps);
        }
        return lookup(timesteps, learned, "timestep");
    }

    /** {@code class_embedding(class_labels)} (after {@code time_proj} for the "timestep" type). */
    private NDArray classEmbedding(NDArray classLabels) {
        if (classTable != null) {
            return lookup(classLabels.reshape(-1), classTable, "class label");
        }
        if (classTimestepEmbedding != null) {
            return classTimestepEmbedding.forward(toDtype(timeProjection(classLabels.reshape(-1))), null);
        }
        // "identity": the labels are the embedding
        Shape shape = classLabels.getShape();
        if (shape.dimension() != 2 || shape.get(1) != config().timeEmbedDim()) {
            throw new IllegalArgumentException("class_embed_type 'identity' takes class_labels of shape [batch, "
                    + config().timeEmbedDim() + "], got " + shape);
        }
        return classLabels;
    }

    /** {@code nn.Embedding}: rows of {@code table} for integer ids (refused when not integers in range). */
    private static NDArray lookup(NDArray ids, NDArray table, String what) {
        long rows = table.getShape().get(0);
        for (double id : ids.toType(DataType.FLOAT64, true).toDoubleArray()) {
            if (id != Math.rint(id) || id < 0 || id >= rows) {
                throw new IllegalArgumentException(what + " " + id + " is not an integer in [0, " + rows + ")");
            }
        }
        NDArray index = ids.toType(DataType.INT64, true);
        return Embedding.embedding(index, table, SparseFormat.DENSE).singletonOrThrow();
    }

    private NDArray toDtype(NDArray x) {
        return x.getDataType() == dtype() ? x : x.toType(dtype(), false);
    }
}

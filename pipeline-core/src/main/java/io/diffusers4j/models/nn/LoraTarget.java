// The layers a LoRA adapter wraps (peft's tuners.lora.layer.Linear and Conv2d around torch.nn.Linear / Conv2d).
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;

import java.util.function.UnaryOperator;

/**
 * A layer that adapters can extend: its output becomes {@code W x + sum over active adapters of
 * scaling * B(A(x))} while unfused ({@link #setBranch}), or {@code (W + sum scaling * B @ A) x} once fused
 * ({@link #setFusedWeight}). The base weight is never written: fusing hands the layer a new tensor and unfusing
 * hands back the original, so the unfused weights are restored bit for bit and a memory-mapped checkpoint is never
 * touched.
 */
public interface LoraTarget {
    /**
     * The base weight's shape as the checkpoint stores it: {@code [out, in]} for a linear layer,
     * {@code [out, in, kh, kw]} for a convolution (also a 1x1 convolution computed as a matrix product). An adapter's
     * down weight must be {@code [rank, in(, kh, kw)]} and its up weight {@code [out, rank(, 1, 1)]}.
     */
    long[] checkpointShape();

    /** The down projection (peft's {@code lora_A}) of an adapter as this layer runs it: same kernel, stride, padding. */
    UnaryOperator<NDArray> downProjection(NDArray down);

    /** The up projection ({@code lora_B}): a bias-free linear map, or a 1x1 convolution. */
    UnaryOperator<NDArray> upProjection(NDArray up);

    /**
     * {@code up @ down} in the layout of {@link #baseWeight()} (peft's {@code get_delta_weight} before scaling); the
     * result belongs to {@code up}'s manager.
     */
    NDArray delta(NDArray down, NDArray up);

    /** The weight the layer was built with, in its own layout (never modified). */
    NDArray baseWeight();

    /** The adapters to add to the base output, or null for none. */
    void setBranch(LoraBranch branchOrNull);

    /** A weight to use instead of the base weight (the fused one, same shape as {@link #baseWeight()}), or null. */
    void setFusedWeight(NDArray fusedOrNull);
}

// The arguments of diffusers' UNet2DConditionModel.forward beyond (sample, timestep, encoder_hidden_states).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One UNet call, with diffusers' argument names: {@code sample} [B, C, H, W], {@code timestep} (0-d, [1] or [B], any
 * numeric dtype), {@code encoderHiddenStates} [B, L, D], and the optional {@code timestepCond},
 * {@code attentionMask} / {@code encoderAttentionMask} ([B, keys], 1 keep / 0 discard), {@code addedCondKwargs}
 * (SDXL: {@code text_embeds}, {@code time_ids}) and ControlNet's {@code downBlockAdditionalResiduals} /
 * {@code midBlockAdditionalResidual}. The arrays stay owned by the caller.
 */
public final class UNetInputs {
    NDArray sample;
    NDArray timestep;
    NDArray encoderHiddenStates;
    NDArray timestepCond;
    NDArray attentionMask;
    NDArray encoderAttentionMask;
    final Map<String, NDArray> addedCondKwargs = new LinkedHashMap<>();
    List<NDArray> downBlockAdditionalResiduals;
    NDArray midBlockAdditionalResidual;

    public UNetInputs(NDArray sample, NDArray timestep, NDArray encoderHiddenStates) {
        this.sample = sample;
        this.timestep = timestep;
        this.encoderHiddenStates = encoderHiddenStates;
    }

    public UNetInputs timestepCond(NDArray v) {
        this.timestepCond = v;
        return this;
    }

    public UNetInputs attentionMask(NDArray v) {
        this.attentionMask = v;
        return this;
    }

    public UNetInputs encoderAttentionMask(NDArray v) {
        this.encoderAttentionMask = v;
        return this;
    }

    public UNetInputs addedCondKwargs(Map<String, NDArray> kwargs) {
        if (kwargs != null) {
            this.addedCondKwargs.putAll(kwargs);
        }
        return this;
    }

    public UNetInputs addedCond(String key, NDArray value) {
        this.addedCondKwargs.put(key, value);
        return this;
    }

    public UNetInputs downBlockAdditionalResiduals(List<NDArray> residuals) {
        this.downBlockAdditionalResiduals = residuals == null ? null : new ArrayList<>(residuals);
        return this;
    }

    public UNetInputs midBlockAdditionalResidual(NDArray residual) {
        this.midBlockAdditionalResidual = residual;
        return this;
    }

    /** Every array of the call (nulls included), for temp-attaching to the forward's scope. */
    NDArray[] arrays() {
        List<NDArray> all = new ArrayList<>(List.of());
        all.add(sample);
        all.add(timestep);
        all.add(encoderHiddenStates);
        all.add(timestepCond);
        all.add(attentionMask);
        all.add(encoderAttentionMask);
        all.addAll(addedCondKwargs.values());
        if (downBlockAdditionalResiduals != null) {
            all.addAll(downBlockAdditionalResiduals);
        }
        all.add(midBlockAdditionalResidual);
        return all.toArray(new NDArray[0]);
    }
}

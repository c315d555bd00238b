// Port of diffusers.schedulers.scheduling_flow_match_heun_discrete.FlowMatchHeunDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;

/**
 * Heun's second-order sampler of rectified flow: {@code order() == 2}; every timestep after the first appears twice
 * in {@link #timesteps()} (and every sigma between the first and the final 0 in {@link #sigmas()}): the first call
 * of a pair takes an Euler step and keeps its derivative, the second corrects it with the mean of both derivatives.
 * Only the static {@code shift} (no dynamic shifting, no custom sigmas, no {@code mu}: {@code set_timesteps} takes
 * {@code num_inference_steps} only).
 *
 * <p>As in diffusers, {@code step} draws one noise tensor of the model output's shape from the generators every call
 * (it would be added only with {@code s_churn > 0}, which this port keeps at diffusers' default 0); without
 * generators nothing is drawn (diffusers then draws from torch's global generator, which nothing else here uses).
 */
public class FlowMatchHeunDiscreteScheduler extends FlowMatchScheduler<FlowMatchHeunDiscreteScheduler.Config> {

    /** FlowMatchHeunDiscreteScheduler's {@code __init__} keys: {@code num_train_timesteps} and {@code shift}. */
    public static class Config extends FlowMatchConfig {
        @Override
        public String defaultClassName() {
            return "FlowMatchHeunDiscreteScheduler";
        }
    }

    /** The first-order call's derivative, dt and (float32) sample, kept for the correction; null between pairs. */
    private NDArray prevDerivative;
    private Float dt;
    private NDArray firstSample;

    public FlowMatchHeunDiscreteScheduler(Config config) {
        super(config, true);
    }

    @Override
    public int order() {
        return 2;
    }

    /**
     * diffusers' {@code set_timesteps(n)}: the flow-matching linspace (see {@link FlowMatchScheduler}), timesteps
     * {@code [t0, t1, t1, ..., t(n-1), t(n-1)]}, sigmas {@code [s0, s1, s1, ..., s(n-1), s(n-1), 0]}; clears the
     * first-order state and the step and begin index. Like every scheduler here it takes 1 to
     * {@code num_train_timesteps} steps (diffusers: any number from 0).
     */
    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        numInferenceSteps = n;
        float[] base = SchedulerMath.narrow(staticShift(linspaceSigmas(n)));
        double[] ts = timestepsOf(base, config.numTrainTimesteps);
        timesteps = new double[2 * n - 1];
        timesteps[0] = ts[0];
        for (int i = 1; i < n; i++) {
            timesteps[2 * i - 1] = ts[i];
            timesteps[2 * i] = ts[i];
        }
        // cat([s[:1], s[1:-1].repeat_interleave(2), s[-1:]]) of the sigmas with the final 0
        sigmas = new float[2 * n];
        sigmas[0] = base[0];
        for (int i = 1; i < n; i++) {
            sigmas[2 * i - 1] = base[i];
            sigmas[2 * i] = base[i];
        }
        sigmas[2 * n - 1] = 0f;
        clearFirstOrder();
        resetState();
        resetIndex();
    }

    /** diffusers' {@code state_in_first_order}: the next call takes the Euler (first-order) step. */
    public boolean stateInFirstOrder() {
        return dt == null;
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        ensureStepIndex(timestep);
        boolean first = stateInFirstOrder();
        checkStepIndex(first ? 1 : 0);
        float sigma = first ? sigmas[stepIndex] : sigmas[stepIndex - 1];
        float sigmaNext = first ? sigmas[stepIndex + 1] : sigmas[stepIndex];
        // gamma = min(s_churn / (len(sigmas) - 1), 2 ** 0.5 - 1) with s_churn = 0: sigma_hat = sigma * (0 + 1)
        float sigmaHat = sigma * 1f;
        // prevDerivative and firstSample are null in the first-order call (openStep skips nulls)
        try (StepScope scope = openStep(sample, modelOutput, prevDerivative, firstSample)) {
            if (generators != null && !generators.isEmpty()) {
                randn(scope.manager(), modelOutput.getShape(), generators, modelOutput.getDataType()); // unused
            }
            NDArray x = sample.toType(DataType.FLOAT32, false); // upcast, as diffusers
            NDArray prev;
            if (first) {
                NDArray denoised = x.sub(timesScalar(modelOutput, sigma, scope.manager()));
                NDArray derivative = x.sub(denoised).div(sigmaHat);
                float dtNow = sigmaNext - sigmaHat;
                prevDerivative = keep(derivative);
                dt = dtNow;
                firstSample = keep(x);
                prev = x.add(derivative.mul(dtNow));
            } else {
                NDArray denoised = x.sub(timesScalar(modelOutput, sigmaNext, scope.manager()));
                NDArray derivative = x.sub(denoised).div(sigmaNext);
                derivative = prevDerivative.add(derivative).mul(0.5f);
                prev = firstSample.add(derivative.mul(dt));
                release(prevDerivative);
                release(firstSample);
                clearFirstOrder();
            }
            prev = prev.toType(modelOutput.getDataType(), false);
            stepIndex++;
            return scope.output(prev, null);
        }
    }

    /**
     * diffusers' {@code scale_noise}: one timestep for the whole batch ({@code timesteps} holds one value: diffusers
     * 0.30.3 compares the whole timestep tensor with its timesteps, which fails for more than one row unless the
     * batch is exactly as long as the schedule); sets the step index from it (or the begin index) when none is set,
     * as diffusers does, so a following {@code step} continues from there.
     */
    @Override
    public NDArray scaleNoise(NDArray sample, double[] rowTimesteps, NDArray noise) {
        if (rowTimesteps.length != 1) {
            throw new IllegalArgumentException(className() + ".scale_noise takes one timestep for the batch (diffusers "
                    + "0.30.3 compares the timestep tensor with the whole schedule), got " + rowTimesteps.length);
        }
        ensureStepIndex(rowTimesteps[0]);
        return forwardProcess(sample, new float[] {sigmas[stepIndex]}, noise, false);
    }

    private void clearFirstOrder() {
        prevDerivative = null;
        firstSample = null;
        dt = null;
    }

    @Override
    public void close() {
        clearFirstOrder();
        super.close();
    }
}

// Port of diffusers.schedulers.scheduling_heun_discrete.HeunDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;

/**
 * Heun's second-order sampler (Karras et al. 2022, Algorithm 1): {@code order() == 2}, every timestep after the
 * first appears twice; the first-order state (sample, derivative, dt) is kept between the two calls.
 */
public class HeunDiscreteScheduler extends SigmaScheduler<HeunDiscreteScheduler.Config> {

    /** HeunDiscreteScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public Boolean useKarrasSigmas = false;
        public Boolean clipSample = false;
        public double clipSampleRange = 1.0;

        public Config() {
            betaStart = 0.00085;
            betaEnd = 0.012;
            timestepSpacing = "linspace";
        }

        @Override
        protected List<String> betaSchedules() {
            return List.of("linear", "scaled_linear", "squaredcos_cap_v2", "exp");
        }

        @Override
        public String defaultClassName() {
            return "HeunDiscreteScheduler";
        }
    }

    private NDArray prevDerivative;
    private Float dt;
    private NDArray firstSample;

    public HeunDiscreteScheduler(Config config) {
        super(config, false);
    }

    @Override
    public int order() {
        return 2;
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        applySchedule(n, spacedTimestepsF32(n));
    }

    @Override
    public boolean acceptsCustomTimesteps() {
        return true;
    }

    /** diffusers' custom branch: float32 timesteps, interpolated sigmas; refused with karras sigmas. */
    @Override
    protected void setCustomTimesteps(Integer n, double[] custom, double[] customSigmas) {
        checkOneOf(n, custom);
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            throw new IllegalArgumentException("Cannot use `timesteps` with `config.use_karras_sigmas = True`");
        }
        applySchedule(custom.length, SchedulerMath.toF32(custom));
    }

    /** The rest of set_timesteps from {@code n} float32 timesteps: sigmas, karras, the interleaved tables. */
    private void applySchedule(int n, double[] ts) {
        numInferenceSteps = n;
        double[] s = interpSigmas(ts);
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            s = karras(s, n, true);
            ts = sigmasToT(s); // float64 in diffusers
        }
        float[] base = withFinal(s, 0.0);
        // cat([s[:1], s[1:-1].repeat_interleave(2), s[-1:]])
        sigmas = new float[2 * base.length - 2];
        sigmas[0] = base[0];
        for (int i = 1; i < base.length - 1; i++) {
            sigmas[2 * i - 1] = base[i];
            sigmas[2 * i] = base[i];
        }
        sigmas[sigmas.length - 1] = base[base.length - 1];
        timesteps = new double[2 * ts.length - 1];
        timesteps[0] = ts[0];
        for (int i = 1; i < ts.length; i++) {
            timesteps[2 * i - 1] = ts[i];
            timesteps[2 * i] = ts[i];
        }
        prevDerivative = null;
        dt = null;
        firstSample = null;
        resetState();
        resetIndex();
    }

    /** diffusers' {@code state_in_first_order}. */
    public boolean stateInFirstOrder() {
        return dt == null;
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        startStep(timestep);
        boolean first = stateInFirstOrder();
        float sigma = first ? sigmas[stepIndex] : sigmas[stepIndex - 1];
        float sigmaNext = first ? sigmas[stepIndex + 1] : sigmas[stepIndex];
        float sigmaHat = sigma * 1f;
        // prevDerivative and firstSample are null in the first-order call (openStep skips nulls)
        try (StepScope scope = openStep(sample, modelOutput, prevDerivative, firstSample)) {
            float sigmaInput = first ? sigmaHat : sigmaNext;
            NDArray predOriginal = denoised(modelOutput, sample, sigmaInput);
            if (Boolean.TRUE.equals(config.clipSample)) {
                predOriginal = predOriginal.clip(-config.clipSampleRange, config.clipSampleRange);
            }
            NDArray prev;
            if (first) {
                NDArray derivative = sample.sub(predOriginal).div(sigmaHat);
                float dtNow = sigmaNext - sigmaHat;
                prevDerivative = keep(derivative);
                dt = dtNow;
                firstSample = keep(sample);
                prev = sample.add(derivative.mul(dtNow));
            } else {
                NDArray derivative = sample.sub(predOriginal).div(sigmaNext);
                derivative = prevDerivative.add(derivative).div(2f);
                prev = firstSample.add(derivative.mul(dt));
                release(prevDerivative);
                release(firstSample);
                prevDerivative = null;
                firstSample = null;
                dt = null;
            }
            stepIndex++;
            return scope.output(prev, null);
        }
    }

    @Override
    public void close() {
        prevDerivative = null;
        firstSample = null;
        dt = null;
        super.close();
    }
}

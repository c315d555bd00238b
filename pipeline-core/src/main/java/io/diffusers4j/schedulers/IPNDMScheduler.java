// Port of diffusers.schedulers.scheduling_ipndm.IPNDMScheduler (diffusers 0.30.3), F-PNDM's fourth-order multistep.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.List;

/**
 * The improved pseudo linear multistep scheduler of Dance Diffusion (Zhang and Chen 2022, Algorithm 2). Its schedule
 * lives on the unit interval: {@code steps = linspace(1, 0, n + 1)[:-1] ++ [0]}, {@code betas = sin(steps pi / 2)^2}
 * (or {@code trained_betas}), {@code alphas = sqrt(1 - betas^2)}, {@code timesteps = atan2(betas, alphas) * 2 / pi}
 * without the last. Each step combines the newest model outputs (kept across steps) with Adams-Bashforth weights of
 * order 1 to 4.
 *
 * <p>The tables are float32, computed op by op as torch computes them: {@code linspace} exactly as torch's CPU
 * kernel ({@link SchedulerMath#torchLinspace}), products and square roots correctly rounded, {@code sin} and
 * {@code atan2} correctly rounded in float32. torch's vectorised {@code sin} / {@code atan2} (SLEEF, within 1 ulp)
 * can differ from that in the last bit, so a table entry may differ from diffusers' by one or two float32 ulps
 * (see the reference README); everything else is exact.
 */
public class IPNDMScheduler extends BaseScheduler<IPNDMScheduler.Config> {

    /** IPNDMScheduler's {@code __init__} keys: {@code num_train_timesteps} and {@code trained_betas} only. */
    public static class Config extends SchedulerConfig {
        @Override
        public void validate() {
            if (numTrainTimesteps < 1) {
                throw invalid("num_train_timesteps must be >= 1, got %d", numTrainTimesteps);
            }
            if (trainedBetas != null && trainedBetas.length < 2) {
                throw invalid("trained_betas must hold at least 2 values (the last one is the final beta), got %d",
                        trainedBetas.length);
            }
        }

        /** The keys every other scheduler has that IPNDMScheduler's {@code __init__} does not take. */
        @Override
        protected List<String> keysNotTaken() {
            return List.of("beta_start", "beta_end", "beta_schedule", "prediction_type", "timestep_spacing",
                    "steps_offset");
        }

        @Override
        public String defaultClassName() {
            return "IPNDMScheduler";
        }
    }

    private static final int PNDM_ORDER = 4;
    private float[] ipndmBetas;
    private float[] ipndmAlphas;
    /** The newest model-output combinations, oldest first (at most four). */
    private final List<NDArray> ets = new ArrayList<>();

    public IPNDMScheduler(Config config) {
        super(config, false);
    }

    /**
     * diffusers' {@code set_timesteps(n)}. Its schedule does not depend on {@code num_train_timesteps}, and diffusers
     * takes any {@code n}; like every other scheduler here it is bounded by {@code num_train_timesteps} (1000 by
     * default, where the schedule is already finer than any sampler uses), so that a call cannot ask for tables of
     * any size.
     */
    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        float[] b;
        if (config.trainedBetas != null) {
            b = new float[config.trainedBetas.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) config.trainedBetas[i];
            }
        } else {
            float[] steps = SchedulerMath.torchLinspace(1, 0, n + 1);
            steps[n] = 0f; // linspace(1, 0, n + 1)[:-1] ++ [0.0]: the last value is 0 either way
            b = new float[n + 1];
            for (int i = 0; i <= n; i++) {
                float argument = steps[i] * (float) Math.PI / 2f;
                float sin = (float) Math.sin(argument);
                b[i] = sin * sin;
            }
        }
        float[] a = new float[b.length];
        double[] t = new double[b.length - 1];
        for (int i = 0; i < b.length; i++) {
            a[i] = SchedulerMath.sqrtF(1f - b[i] * b[i]);
            if (i < t.length) {
                float angle = (float) Math.atan2(b[i], a[i]);
                t[i] = angle / (float) Math.PI * 2f;
            }
        }
        ipndmBetas = b;
        ipndmAlphas = a;
        timesteps = t;
        numInferenceSteps = n;
        resetState();
        ets.clear();
        resetIndex();
    }

    /** The float32 betas of the current schedule ({@code n + 1} values, the last 0). */
    @Override
    public double[] betas() {
        requireTimesteps();
        return SchedulerMath.widen(ipndmBetas);
    }

    /** The float32 alphas of the current schedule ({@code n + 1} values, the last 1). */
    public double[] alphas() {
        requireTimesteps();
        return SchedulerMath.widen(ipndmAlphas);
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        ensureStepIndex(timestep, false);
        int index = stepIndex;
        if (index + 1 >= ipndmBetas.length) {
            throw new IllegalStateException(className() + ": step " + index + " is past the last of the "
                    + timesteps.length + " timesteps; call setTimesteps again");
        }
        try (StepScope scope = openStep(sample, modelOutput, ets)) {
            NDArray current = sample.mul(ipndmBetas[index]).add(modelOutput.mul(ipndmAlphas[index]));
            ets.add(keep(current));
            if (ets.size() > PNDM_ORDER) {
                release(ets.remove(0));
            }
            NDArray combined = multistep(current);
            NDArray prev = prevSample(sample, index, combined);
            stepIndex = index + 1;
            return scope.output(prev, null);
        }
    }

    /** The Adams-Bashforth combination of the kept outputs (the newest is {@code newest}). */
    private NDArray multistep(NDArray newest) {
        int k = ets.size();
        NDArray e1 = newest;
        if (k == 1) {
            return e1;
        }
        NDArray e2 = ets.get(k - 2);
        if (k == 2) {
            return e1.mul(3f).sub(e2).div(2f);
        }
        NDArray e3 = ets.get(k - 3);
        if (k == 3) {
            return e1.mul(23f).sub(e2.mul(16f)).add(e3.mul(5f)).div(12f);
        }
        NDArray e4 = ets.get(k - 4);
        NDArray sum = e1.mul(55f).sub(e2.mul(59f)).add(e3.mul(37f)).sub(e4.mul(9f));
        return sum.mul((float) (1.0 / 24));
    }

    /** diffusers' {@code _get_prev_sample}. */
    private NDArray prevSample(NDArray sample, int index, NDArray combined) {
        float alpha = ipndmAlphas[index];
        float sigma = ipndmBetas[index];
        float nextAlpha = ipndmAlphas[index + 1];
        float nextSigma = ipndmBetas[index + 1];
        NDArray pred = sample.sub(combined.mul(sigma)).div(Math.max(alpha, 1e-8f));
        return pred.mul(nextAlpha).add(combined.mul(nextSigma));
    }

    /** IPNDMScheduler has no {@code add_noise} in diffusers. */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double[] ts) {
        throw new UnsupportedOperationException("IPNDMScheduler has no add_noise (diffusers' IPNDMScheduler "
                + "only denoises from pure noise)");
    }

    @Override
    protected void resetState() {
        ets.clear();
        super.resetState();
    }
}

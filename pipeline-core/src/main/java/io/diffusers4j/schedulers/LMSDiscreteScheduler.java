// Port of diffusers.schedulers.scheduling_lms_discrete.LMSDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.TorchGenerator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Linear multistep sampler (order 4). The coefficients are integrals of Lagrange basis polynomials over
 * {@code [sigma_t, sigma_{t+1}]}; diffusers uses {@code scipy.integrate.quad}, here a 4-point Gauss-Legendre rule,
 * exact for these polynomials of degree at most 3.
 */
public class LMSDiscreteScheduler extends SigmaScheduler<LMSDiscreteScheduler.Config> {

    /** LMSDiscreteScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public Boolean useKarrasSigmas = false;

        public Config() {
            timestepSpacing = "linspace";
        }

        @Override
        public String defaultClassName() {
            return "LMSDiscreteScheduler";
        }
    }

    private static final int ORDER = 4;
    private static final double[] GL_X = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563,
        0.8611363115940526};
    private static final double[] GL_W = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461,
        0.3478548451374538};
    private final List<NDArray> derivatives = new ArrayList<>();

    public LMSDiscreteScheduler(Config config) {
        super(config, false);
    }

    public static LMSDiscreteScheduler fromConfig(ConfigBase other) {
        return new LMSDiscreteScheduler(SchedulerConfig.convert(other, Config.class));
    }

    public static LMSDiscreteScheduler fromConfig(JsonObject json) {
        return new LMSDiscreteScheduler(SchedulerConfig.parse(json, Config.class, "<json>"));
    }

    public static LMSDiscreteScheduler fromConfig(Path file) {
        return new LMSDiscreteScheduler(
                SchedulerConfig.parse(ConfigBase.readJsonObject(file), Config.class, file.toString()));
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        numInferenceSteps = n;
        double[] ts = spacedTimestepsF32(n);
        double[] s = interpSigmas(ts);
        if (Boolean.TRUE.equals(config.useKarrasSigmas)) {
            s = karras(s, n, false);
            ts = sigmasToT(s); // float64 in diffusers (no float32 cast)
        }
        sigmas = withFinal(s, 0.0);
        timesteps = ts;
        resetIndex();
        derivatives.clear();
        resetState();
    }

    /** diffusers' {@code get_lms_coefficient(order, t, current_order)}. */
    double lmsCoefficient(int order, int t, int currentOrder) {
        double a = sigmas[t];
        double b = sigmas[t + 1];
        double half = (b - a) / 2;
        double mid = (a + b) / 2;
        double sum = 0;
        for (int q = 0; q < GL_X.length; q++) {
            double tau = mid + half * GL_X[q];
            double prod = 1.0;
            for (int k = 0; k < order; k++) {
                if (k == currentOrder) {
                    continue;
                }
                prod *= (tau - sigmas[t - k]) / ((double) sigmas[t - currentOrder] - sigmas[t - k]);
            }
            sum += GL_W[q] * prod;
        }
        return sum * half;
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        requireTimesteps();
        if (stepIndex == null) {
            initStepIndex(timestep, false);
        }
        if (stepIndex + 1 >= sigmas.length) {
            throw new IllegalStateException(className() + ": step called more often than there are timesteps");
        }
        NDManager parent = sample.getManager();
        try (NDManager sub = parent.newSubManager()) {
            sample.tempAttach(sub);
            modelOutput.tempAttach(sub);
            for (NDArray d : derivatives) {
                d.tempAttach(sub);
            }
            float sigma = sigmas[stepIndex];
            NDArray predOriginal;
            switch (config.predictionType) {
                case "epsilon":
                    predOriginal = sample.sub(modelOutput.mul(sigma));
                    break;
                case "v_prediction":
                    predOriginal = modelOutput.mul(-sigma / SchedulerMath.sqrtF(sigma * sigma + 1f))
                            .add(sample.div(sigma * sigma + 1f));
                    break;
                default:
                    predOriginal = modelOutput.duplicate();
            }
            NDArray derivative = sample.sub(predOriginal).div(sigma);
            derivatives.add(keep(derivative));
            if (derivatives.size() > ORDER) {
                release(derivatives.remove(0));
            }
            int order = Math.min(stepIndex + 1, ORDER);
            NDArray acc = null;
            for (int c = 0; c < order; c++) {
                // the newest derivative is used through its sub-managed original (the kept copy is not temp-attached)
                NDArray d = c == 0 ? derivative : derivatives.get(derivatives.size() - 1 - c);
                NDArray term = d.mul((float) lmsCoefficient(order, stepIndex, c));
                acc = acc == null ? term : acc.add(term);
            }
            NDArray prev = sample.add(acc);
            stepIndex++;
            prev.attach(parent);
            predOriginal.attach(parent);
            return new SchedulerOutput(prev, predOriginal);
        } finally {
            flushReleases();
        }
    }

    @Override
    public void close() {
        derivatives.clear();
        super.close();
    }
}

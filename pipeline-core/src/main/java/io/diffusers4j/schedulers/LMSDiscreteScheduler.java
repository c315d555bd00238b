// Port of diffusers.schedulers.scheduling_lms_discrete.LMSDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.List;

/**
 * Linear multistep sampler (order 4). The coefficients are integrals of Lagrange basis polynomials over
 * {@code [sigma_t, sigma_{t+1}]}, computed like diffusers' {@code scipy.integrate.quad} call (see
 * {@link #lmsCoefficient}).
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
    /** QUADPACK's 21-point Kronrod abscissae and weights (dqk21), as scipy.integrate.quad uses them. */
    private static final double[] XGK = {0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
        0.930157491355708226001207180059508, 0.865063366688984510732096688423493, 0.780817726586416897063717578345042,
        0.679409568299024406234327365114874, 0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
        0.294392862701460198131126603103866, 0.148874338981631210884826001129720, 0.0};
    private static final double[] WGK = {0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
        0.054755896574351996031381300244580, 0.075039674810919952767043140916190, 0.093125454583697605535065465083366,
        0.109387158802297641899210590325805, 0.123491976262065851077958109831074, 0.134709217311473325928054001771707,
        0.142775938577060080797094273138717, 0.147739104901338491374841515972068, 0.149445554002916905664936468389821};
    private final List<NDArray> derivatives = new ArrayList<>();

    public LMSDiscreteScheduler(Config config) {
        super(config, false);
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

    /**
     * diffusers' {@code get_lms_coefficient(order, t, current_order)}: {@code quad} of the Lagrange basis
     * polynomial. For these polynomials QUADPACK's QAGS returns its first 21-point Gauss-Kronrod estimate; this
     * reproduces that sum, with the integrand evaluated in float32 like diffusers' tensor arithmetic.
     */
    double lmsCoefficient(int order, int t, int currentOrder) {
        double a = sigmas[t];
        double b = sigmas[t + 1];
        double centr = 0.5 * (a + b);
        double hlgth = 0.5 * (b - a);
        double resk = WGK[10] * lagrange(centr, order, t, currentOrder);
        for (int j = 1; j <= 5; j++) {
            int jtw = 2 * j - 1;
            double absc = hlgth * XGK[jtw];
            resk = resk + WGK[jtw] * (lagrange(centr - absc, order, t, currentOrder)
                    + lagrange(centr + absc, order, t, currentOrder));
        }
        for (int j = 1; j <= 5; j++) {
            int jtwm1 = 2 * j - 2;
            double absc = hlgth * XGK[jtwm1];
            resk = resk + WGK[jtwm1] * (lagrange(centr - absc, order, t, currentOrder)
                    + lagrange(centr + absc, order, t, currentOrder));
        }
        return resk * hlgth;
    }

    /** diffusers' {@code lms_derivative(tau)}: float32 tensor arithmetic, 1.0 when the product is empty. */
    private double lagrange(double tau, int order, int t, int currentOrder) {
        Float prod = null;
        for (int k = 0; k < order; k++) {
            if (k == currentOrder) {
                continue;
            }
            float q = ((float) tau - sigmas[t - k]) / (sigmas[t - currentOrder] - sigmas[t - k]);
            prod = prod == null ? q : prod * q;
        }
        return prod == null ? 1.0 : prod;
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        startStep(timestep);
        try (StepScope scope = openStep(sample, modelOutput, derivatives)) {
            float sigma = sigmas[stepIndex];
            NDArray predOriginal = denoised(modelOutput, sample, sigma);
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
            return scope.output(prev, predOriginal);
        }
    }

    @Override
    public void close() {
        derivatives.clear();
        super.close();
    }
}

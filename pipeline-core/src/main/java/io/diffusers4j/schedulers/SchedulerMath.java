// Host-side tables of diffusers' schedulers, reproducing torch 1.13 CPU float32 and numpy 1.24 arithmetic bit for bit.
package io.diffusers4j.schedulers;

/**
 * The numerics behind diffusers' scheduler tables. diffusers builds betas with torch (float32), then mixes numpy
 * float64 and float32; these functions reproduce each step's dtype and rounding:
 * <ul>
 *   <li>{@link #torchLinspace}: torch's CPU float32 {@code linspace} kernel (8-wide vector blocks, fused
 *       multiply-add for the block base, scalar tail) — the exact betas;</li>
 *   <li>{@link #cumprod}: torch's {@code cumprod}, accumulated in double, each output rounded to float32;</li>
 *   <li>{@link #npLogF32}: numpy 1.24's SIMD float32 {@code log} (AVX2/AVX512F), used on float32 sigma tables;</li>
 *   <li>{@link #npLinspace}, {@link #npArange}, {@link #npInterp}, {@link #sigmaToT}, {@link #karras}: numpy
 *       float64 (with numpy 1.24's value-based casting where diffusers mixes scalars and float32 arrays).</li>
 * </ul>
 */
public final class SchedulerMath {
    private SchedulerMath() {
    }

    // ---------------------------------------------------------------- torch float32

    /** {@code torch.linspace(start, end, steps, dtype=torch.float32)} on CPU. */
    public static float[] torchLinspace(double startD, double endD, int steps) {
        float start = (float) startD;
        float end = (float) endD;
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (float) (steps - 1);
        int halfway = steps / 2;
        final int v = 8;
        int i = 0;
        for (; i <= steps - 2 * v; i += 2 * v) {
            for (int blk = i; blk < i + 2 * v; blk += v) {
                float base = blk < halfway ? Math.fma(step, (float) blk, start)
                        : Math.fma(-step, (float) (steps - blk - 1), end);
                for (int j = 0; j < v; j++) {
                    out[blk + j] = base + (float) j * step;
                }
            }
        }
        for (; i < steps; i++) {
            out[i] = i < halfway ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (steps - i - 1), end);
        }
        return out;
    }

    /** {@code torch.cumprod(x, 0)} for float32 on CPU (double accumulator). */
    public static float[] cumprod(float[] x) {
        float[] out = new float[x.length];
        double acc = 1.0;
        for (int i = 0; i < x.length; i++) {
            acc *= x[i];
            out[i] = (float) acc;
        }
        return out;
    }

    /** diffusers' {@code betas_for_alpha_bar} ("cosine" or "exp"), computed in double, stored as float32. */
    public static float[] betasForAlphaBar(int n, String transform) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            double a1 = alphaBar(t1, transform);
            double a2 = alphaBar(t2, transform);
            out[i] = (float) Math.min(1 - a2 / a1, 0.999);
        }
        return out;
    }

    private static double alphaBar(double t, String transform) {
        if (transform.equals("cosine")) {
            double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
            return c * c;
        }
        return Math.exp(t * -12.0);
    }

    /** The betas a config describes (trained_betas, linear, scaled_linear, squaredcos_cap_v2, sigmoid, exp). */
    public static float[] betas(SchedulerConfig c) {
        int n = c.numTrainTimesteps;
        if (c.trainedBetas != null) {
            float[] out = new float[c.trainedBetas.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) c.trainedBetas[i];
            }
            return out;
        }
        switch (c.betaSchedule) {
            case "linear":
                return torchLinspace(c.betaStart, c.betaEnd, n);
            case "scaled_linear": {
                float[] b = torchLinspace(Math.sqrt(c.betaStart), Math.sqrt(c.betaEnd), n);
                for (int i = 0; i < n; i++) {
                    b[i] = b[i] * b[i];
                }
                return b;
            }
            case "squaredcos_cap_v2":
                return betasForAlphaBar(n, "cosine");
            case "exp":
                return betasForAlphaBar(n, "exp");
            case "sigmoid": {
                float[] b = torchLinspace(-6, 6, n);
                float scale = (float) (c.betaEnd - c.betaStart);
                float shift = (float) c.betaStart;
                for (int i = 0; i < n; i++) {
                    float s = (float) (1.0 / (1.0 + Math.exp(-(double) b[i])));
                    b[i] = s * scale + shift;
                }
                return b;
            }
            default:
                throw new IllegalArgumentException("beta_schedule '" + c.betaSchedule + "' is not implemented");
        }
    }

    /** diffusers' {@code rescale_zero_terminal_snr} in float32. */
    public static float[] rescaleZeroTerminalSnr(float[] betas) {
        int n = betas.length;
        float[] alphas = new float[n];
        for (int i = 0; i < n; i++) {
            alphas[i] = 1f - betas[i];
        }
        float[] sqrt = cumprod(alphas);
        for (int i = 0; i < n; i++) {
            sqrt[i] = sqrtF(sqrt[i]);
        }
        float s0 = sqrt[0];
        float sT = sqrt[n - 1];
        for (int i = 0; i < n; i++) {
            sqrt[i] -= sT;
        }
        float scale = s0 / (s0 - sT);
        for (int i = 0; i < n; i++) {
            sqrt[i] *= scale;
        }
        float[] bar = new float[n];
        for (int i = 0; i < n; i++) {
            bar[i] = sqrt[i] * sqrt[i];
        }
        float[] out = new float[n];
        out[0] = 1f - bar[0];
        for (int i = 1; i < n; i++) {
            out[i] = 1f - bar[i] / bar[i - 1];
        }
        return out;
    }

    /** {@code alphas_cumprod = cumprod(1 - betas)} in float32. */
    public static float[] alphasCumprod(float[] betas) {
        float[] alphas = new float[betas.length];
        for (int i = 0; i < betas.length; i++) {
            alphas[i] = 1f - betas[i];
        }
        return cumprod(alphas);
    }

    /** {@code ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5} in float32 (ascending in t). */
    public static float[] sigmasFromAlphas(float[] ac) {
        float[] out = new float[ac.length];
        for (int i = 0; i < ac.length; i++) {
            out[i] = sqrtF((1f - ac[i]) / ac[i]);
        }
        return out;
    }

    /** float32 {@code sqrt} (correctly rounded, as torch's). */
    public static float sqrtF(float x) {
        return (float) Math.sqrt(x);
    }

    /** float32 {@code log} as torch's CPU scalar path (glibc logf, correctly rounded). */
    public static float logF(float x) {
        return (float) Math.log(x);
    }

    /** float32 {@code exp} as torch's CPU scalar path. */
    public static float expF(float x) {
        return (float) Math.exp(x);
    }

    /** float32 {@code expm1} as torch's CPU scalar path. */
    public static float expm1F(float x) {
        return (float) Math.expm1(x);
    }

    // ---------------------------------------------------------------- numpy

    private static final float LOG_P0 = 0.0f;
    private static final float LOG_P1 = 9.999999999999998702752e-01f;
    private static final float LOG_P2 = 2.112677543073053063722e+00f;
    private static final float LOG_P3 = 1.480000633576506585156e+00f;
    private static final float LOG_P4 = 3.808837741388407920751e-01f;
    private static final float LOG_P5 = 2.589979117907922693523e-02f;
    private static final float LOG_Q0 = 1.0f;
    private static final float LOG_Q1 = 2.612677543073109236779e+00f;
    private static final float LOG_Q2 = 2.453006071784736363091e+00f;
    private static final float LOG_Q3 = 9.864942958519418960339e-01f;
    private static final float LOG_Q4 = 1.546476374983906719538e-01f;
    private static final float LOG_Q5 = 5.875095403124574342950e-03f;
    private static final float LOG_E2 = 0.693147180559945309417232121458176568f;
    private static final float SQRT1_2 = 0.707106781186547524400844362104849039f;

    /**
     * numpy 1.24's float32 {@code np.log} on x86-64 with AVX2+FMA3 or AVX512F (its SIMD rational approximation,
     * up to ~4 ulp from the correctly rounded value): diffusers takes {@code np.log} of float32 sigma tables.
     */
    public static float npLogF32(float x) {
        if (Float.isNaN(x) || x < 0) {
            return Float.NaN;
        }
        if (x == 0) {
            return Float.NEGATIVE_INFINITY;
        }
        if (Float.isInfinite(x)) {
            return Float.POSITIVE_INFINITY;
        }
        int e = Math.getExponent(x);
        float m;
        if (e == Float.MIN_EXPONENT - 1) { // subnormal
            float scaled = x * 0x1p100f;
            int es = Math.getExponent(scaled);
            m = Math.scalb(scaled, -(es + 1));
            e = es + 1 - 100;
        } else {
            m = Math.scalb(x, -(e + 1));
            e = e + 1;
        }
        float exponent = e;
        if (m <= SQRT1_2) {
            m = m + m;
            exponent = exponent - 1f;
        }
        m = m - 1f;
        float num = Math.fma(LOG_P5, m, LOG_P4);
        num = Math.fma(num, m, LOG_P3);
        num = Math.fma(num, m, LOG_P2);
        num = Math.fma(num, m, LOG_P1);
        num = Math.fma(num, m, LOG_P0);
        float den = Math.fma(LOG_Q5, m, LOG_Q4);
        den = Math.fma(den, m, LOG_Q3);
        den = Math.fma(den, m, LOG_Q2);
        den = Math.fma(den, m, LOG_Q1);
        den = Math.fma(den, m, LOG_Q0);
        return Math.fma(exponent, LOG_E2, num / den);
    }

    /** {@code np.log} of a float32 array (float32 result). */
    public static float[] npLogF32(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = npLogF32(x[i]);
        }
        return out;
    }

    /** {@code np.linspace(start, stop, num)} in float64 (endpoint included). */
    public static double[] npLinspace(double start, double stop, int num) {
        return npLinspace(start, stop, num, true);
    }

    /** {@code np.linspace(start, stop, num, endpoint)} in float64. */
    public static double[] npLinspace(double start, double stop, int num, boolean endpoint) {
        double[] y = new double[num];
        int div = endpoint ? num - 1 : num;
        double delta = stop - start;
        if (div > 0) {
            double step = delta / div;
            for (int i = 0; i < num; i++) {
                y[i] = step == 0 ? (i / (double) div) * delta + start : i * step + start;
            }
        } else {
            for (int i = 0; i < num; i++) {
                y[i] = i * delta + start;
            }
        }
        if (endpoint && num > 1) {
            y[num - 1] = stop;
        }
        return y;
    }

    /** {@code np.arange(start, stop, step)} for a float step (numpy fills {@code start + i * delta}). */
    public static double[] npArange(double start, double stop, double step) {
        int len = (int) Math.max(0, Math.ceil((stop - start) / step));
        double[] out = new double[len];
        if (len == 0) {
            return out;
        }
        out[0] = start;
        if (len > 1) {
            double second = start + step;
            double delta = second - start;
            out[1] = second;
            for (int i = 2; i < len; i++) {
                out[i] = start + i * delta;
            }
        }
        return out;
    }

    /** {@code np.interp(x, arange(len(fp)), fp)} (float64, numpy's formula). */
    public static double[] npInterp(double[] x, float[] fp) {
        int n = fp.length;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double xv = x[i];
            if (Double.isNaN(xv)) {
                out[i] = xv;
            } else if (xv > n - 1) {
                out[i] = fp[n - 1];
            } else if (xv < 0) {
                out[i] = fp[0];
            } else if (xv == n - 1) {
                out[i] = fp[n - 1];
            } else {
                int j = (int) Math.floor(xv);
                if (j == xv) {
                    out[i] = fp[j];
                } else {
                    double slope = ((double) fp[j + 1] - (double) fp[j]) / 1.0;
                    out[i] = slope * (xv - j) + fp[j];
                }
            }
        }
        return out;
    }

    /**
     * diffusers' {@code _sigma_to_t(sigma, log_sigmas)} for a float64 sigma and a float32 {@code log_sigmas}
     * table, with numpy 1.24 value-based casting (the scalar is cast to float32 against the float32 array).
     */
    public static double sigmaToT(double sigma, float[] logSigmas) {
        float logSigma = (float) Math.log(Math.max(sigma, 1e-10));
        int n = logSigmas.length;
        int low = 0;
        for (int i = 0; i < n; i++) {
            if (logSigma - logSigmas[i] >= 0f) {
                low = i;
            }
        }
        low = Math.min(low, n - 2);
        int high = low + 1;
        float lo = logSigmas[low];
        float hi = logSigmas[high];
        float w = (lo - logSigma) / (lo - hi);
        w = Math.max(0f, Math.min(1f, w));
        return (double) (1f - w) * low + (double) w * high;
    }

    /** Karras et al. (2022) sigmas with rho = 7, float64 (diffusers' {@code _convert_to_karras}). */
    public static double[] karras(double sigmaMin, double sigmaMax, int n) {
        double rho = 7.0;
        double[] ramp = npLinspace(0, 1, n);
        double minInvRho = Math.pow(sigmaMin, 1 / rho);
        double maxInvRho = Math.pow(sigmaMax, 1 / rho);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
        }
        return out;
    }

    /** float64 values rounded to float32 and back. */
    public static double[] toF32(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }

    /** float64 values rounded to float32. */
    public static float[] narrow(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }

    /** float32 values widened to double. */
    public static double[] widen(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    /** Reverses in place and returns the array. */
    public static double[] reverse(double[] x) {
        for (int i = 0, j = x.length - 1; i < j; i++, j--) {
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
        return x;
    }

    /** The float32 maximum of a table. */
    public static float max(float[] x) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            m = Math.max(m, v);
        }
        return m;
    }
}

// Shared machinery of the diffusers schedulers: beta tables, spacings, step index and scope, kept state, add_noise.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Base of the scheduler ports: holds the config, the float32 {@code betas}/{@code alphas_cumprod} tables (none for
 * the flow-matching schedulers), the current timesteps, diffusers' {@code step_index}/{@code begin_index}, and a
 * scheduler-owned {@link NDManager} for tensors kept across steps.
 */
public abstract class BaseScheduler<C extends SchedulerConfig> implements Scheduler {
    protected final C config;
    protected final float[] betas;
    protected final float[] alphasCumprod;
    protected double[] timesteps;
    protected Integer numInferenceSteps;
    protected Integer stepIndex;
    protected Integer beginIndex;
    private NDManager stateManager;

    protected BaseScheduler(C config, boolean rescaleZeroSnr) {
        config.validate();
        this.config = config;
        float[] b = SchedulerMath.betas(config);
        if (rescaleZeroSnr) {
            b = SchedulerMath.rescaleZeroTerminalSnr(b);
        }
        this.betas = b;
        this.alphasCumprod = SchedulerMath.alphasCumprod(b);
    }

    /** A scheduler without a beta schedule (flow matching): {@link #betas()} and {@link #alphasCumprod()} are null. */
    protected BaseScheduler(C config) {
        config.validate();
        this.config = config;
        this.betas = null;
        this.alphasCumprod = null;
    }

    @Override
    public C config() {
        return config;
    }

    @Override
    public String className() {
        return getClass().getSimpleName();
    }

    @Override
    public int order() {
        return 1;
    }

    @Override
    public double[] timesteps() {
        if (timesteps == null) {
            throw new IllegalStateException(className() + ": call setTimesteps before reading timesteps");
        }
        return timesteps.clone();
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public double[] sigmas() {
        return null;
    }

    @Override
    public double[] alphasCumprod() {
        return alphasCumprod == null ? null : SchedulerMath.widen(alphasCumprod);
    }

    /** The float32 betas, or null for a scheduler without a beta schedule. */
    public double[] betas() {
        return betas == null ? null : SchedulerMath.widen(betas);
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        return sample;
    }

    @Override
    public void setBeginIndex(int beginIndex) {
        this.beginIndex = beginIndex;
    }

    @Override
    public Integer stepIndex() {
        return stepIndex;
    }

    @Override
    public Integer beginIndex() {
        return beginIndex;
    }

    @Override
    public Scheduler copy() {
        return Schedulers.fromConfig(getClass(), config.copyConfig());
    }

    @Override
    public void close() {
        resetState();
    }

    @Override
    public String toString() {
        return className() + config.toJson();
    }

    // ---------------------------------------------------------------- set_timesteps helpers

    @Override
    public void setTimesteps(Integer n, double[] customTimesteps, double[] customSigmas) {
        if (customTimesteps != null && !acceptsCustomTimesteps()) {
            throw unsupportedCustom(className(), "timestep");
        }
        if (customSigmas != null && !acceptsCustomSigmas()) {
            throw unsupportedCustom(className(), "sigmas");
        }
        if (customTimesteps == null && customSigmas == null && n != null) {
            setTimesteps(n.intValue());
        } else {
            setCustomTimesteps(n, customTimesteps, customSigmas);
        }
    }

    /**
     * The custom branch of diffusers' {@code set_timesteps}, reached with a custom array this class accepts or
     * without {@code numInferenceSteps}; the classes that accept custom arrays override it with their checks.
     */
    protected void setCustomTimesteps(Integer n, double[] customTimesteps, double[] customSigmas) {
        throw new IllegalArgumentException(className() + ": set_timesteps needs num_inference_steps");
    }

    /** {@code retrieve_timesteps}' refusal ({@code what}: "timestep" or "sigmas") for a class without the argument. */
    static IllegalArgumentException unsupportedCustom(String className, String what) {
        return new IllegalArgumentException("The current scheduler class " + className + "'s `set_timesteps` "
                + "does not support custom " + what + " schedules. Please check whether you are using the correct "
                + "scheduler.");
    }

    /** diffusers' "exactly one of {@code num_inference_steps} or {@code timesteps}" checks (Heun, LCM wording). */
    protected static void checkOneOf(Integer n, double[] custom) {
        checkOneOf(n, custom, "Must pass exactly one of `num_inference_steps` or `custom_timesteps`.");
    }

    /**
     * diffusers' "exactly one of {@code num_inference_steps} or a custom schedule" checks (DDPM, Heun, DPM-Solver,
     * LCM): {@code noneMessage} when neither is given (each class words it its own way).
     */
    protected static void checkOneOf(Integer n, double[] custom, String noneMessage) {
        if (n == null && custom == null) {
            throw new IllegalArgumentException(noneMessage);
        }
        if (n != null && custom != null) {
            throw new IllegalArgumentException("Can only pass one of `num_inference_steps` or `custom_timesteps`.");
        }
        if (custom.length == 0) {
            throw new IllegalArgumentException("custom `timesteps` must not be empty");
        }
    }

    /** DDPM's and LCM's custom timesteps checks: strictly descending, and starting below num_train_timesteps. */
    protected void checkDescendingBelowTrain(double[] custom) {
        for (int i = 1; i < custom.length; i++) {
            if (custom[i] >= custom[i - 1]) {
                throw new IllegalArgumentException("`custom_timesteps` must be in descending order.");
            }
        }
        if (custom[0] >= config.numTrainTimesteps) {
            throw new IllegalArgumentException("`timesteps` must start before `self.config.train_timesteps`: "
                    + config.numTrainTimesteps + ".");
        }
    }

    /** {@code np.array(timesteps).astype(np.int64)}: truncation toward zero, kept as doubles. */
    protected static double[] int64(double[] custom) {
        double[] out = new double[custom.length];
        for (int i = 0; i < custom.length; i++) {
            out[i] = (long) custom[i];
        }
        return out;
    }

    /** Common check: 1 <= n <= num_train_timesteps. */
    protected void checkSteps(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("num_inference_steps must be >= 1, got " + n);
        }
        if (n > config.numTrainTimesteps) {
            throw new IllegalArgumentException("`num_inference_steps`: " + n + " cannot be larger than "
                    + "`num_train_timesteps`: " + config.numTrainTimesteps);
        }
    }

    /**
     * DDIM/DDPM/PNDM/Euler-style spacing of {@code n} timesteps, descending, as float64 integers or fractions
     * ({@code roundLinspace}: "linspace" rounded to integers, as all but the k-diffusion schedulers do).
     */
    protected double[] spacedTimesteps(int n, boolean roundLinspace) {
        int train = config.numTrainTimesteps;
        switch (config.timestepSpacing) {
            case "linspace": {
                double[] t = SchedulerMath.npLinspace(0, train - 1, n);
                if (roundLinspace) {
                    for (int i = 0; i < n; i++) {
                        t[i] = Math.rint(t[i]);
                    }
                }
                return SchedulerMath.reverse(t);
            }
            case "leading": {
                int ratio = train / n;
                double[] t = new double[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (double) (n - 1 - i) * ratio + config.stepsOffset;
                }
                return t;
            }
            case "trailing":
                return trailingTimesteps(train, n);
            default:
                throw unsupportedSpacing();
        }
    }

    /** DPM-Solver/UniPC spacing: {@code n + 1} points with the last dropped ({@code lastTimestep} = train unless clipped). */
    protected double[] multistepTimesteps(int n, int lastTimestep) {
        switch (config.timestepSpacing) {
            case "linspace": {
                double[] t = SchedulerMath.npLinspace(0, lastTimestep - 1, n + 1);
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = Math.rint(t[n - i]);
                }
                return out;
            }
            case "leading": {
                int ratio = lastTimestep / (n + 1);
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (double) (n - i) * ratio + config.stepsOffset;
                }
                return out;
            }
            case "trailing":
                return trailingTimesteps(lastTimestep, n);
            default:
                throw unsupportedSpacing();
        }
    }

    /** "trailing": {@code np.round(np.arange(start, 0, -num_train_timesteps / n)) - 1}, descending. */
    private double[] trailingTimesteps(int start, int n) {
        double ratio = (double) config.numTrainTimesteps / n;
        double[] t = SchedulerMath.npArange(start, 0, -ratio);
        for (int i = 0; i < t.length; i++) {
            t[i] = Math.rint(t[i]) - 1;
        }
        return t;
    }

    private IllegalArgumentException unsupportedSpacing() {
        return new IllegalArgumentException("timestep_spacing '" + config.timestepSpacing + "' is not supported");
    }

    /** diffusers' {@code previous_timestep} of DDIM/DDPM: {@code t - num_train_timesteps // num_inference_steps}. */
    protected int previousTimestep(int t) {
        int n = numInferenceSteps != null ? numInferenceSteps : config.numTrainTimesteps;
        return t - config.numTrainTimesteps / n;
    }

    // ---------------------------------------------------------------- step index

    /** diffusers' {@code index_for_timestep}: the second match when a timestep repeats, else the first. */
    protected int indexForTimestep(double timestep, boolean lastIfMissing) {
        int first = -1;
        int count = 0;
        int second = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                if (count == 0) {
                    first = i;
                } else if (count == 1) {
                    second = i;
                }
                count++;
            }
        }
        if (count == 0) {
            if (lastIfMissing) {
                return timesteps.length - 1;
            }
            throw new IllegalArgumentException(className() + ": timestep " + timestep
                    + " is not one of the scheduler's timesteps " + Arrays.toString(timesteps));
        }
        return count > 1 ? second : first;
    }

    /** diffusers' {@code _init_step_index}. */
    private void initStepIndex(double timestep, boolean lastIfMissing) {
        stepIndex = beginIndex == null ? indexForTimestep(timestep, lastIfMissing) : beginIndex;
    }

    /** Start of {@code step}/{@code scale_model_input} for schedulers that keep a step index. */
    protected void ensureStepIndex(double timestep, boolean lastIfMissing) {
        requireTimesteps();
        if (stepIndex == null) {
            initStepIndex(timestep, lastIfMissing);
        }
    }

    protected void requireTimesteps() {
        if (timesteps == null || numInferenceSteps == null) {
            throw new IllegalStateException("Number of inference steps is 'None', you need to run 'setTimesteps' "
                    + "after creating the scheduler " + className());
        }
    }

    /** Resets index state; subclasses extend to clear their own step state. */
    protected void resetIndex() {
        stepIndex = null;
        beginIndex = null;
    }

    // ---------------------------------------------------------------- kept state

    /** The scheduler-owned manager for tensors kept across steps (created on the device of {@code like}). */
    protected NDManager stateManager(NDArray like) {
        if (stateManager == null) {
            stateManager = NDManager.newBaseManager(like.getDevice());
        }
        return stateManager;
    }

    /** A copy of {@code x} owned by the scheduler (survives the caller's per-step manager). */
    protected NDArray keep(NDArray x) {
        NDArray copy = x.duplicate();
        copy.attach(stateManager(x));
        return copy;
    }

    /** Closes every kept tensor. */
    protected void resetState() {
        pendingRelease.clear();
        if (stateManager != null) {
            stateManager.close();
            stateManager = null;
        }
    }

    private final List<NDArray> pendingRelease = new ArrayList<>();

    /** Closes a kept tensor once the current step's scope is closed (it may be temp-attached there). */
    protected void release(NDArray x) {
        if (x != null) {
            pendingRelease.add(x);
        }
    }

    /** Closes the tensors passed to {@link #release} (done by {@link StepScope#close()}). */
    private void flushReleases() {
        for (NDArray x : pendingRelease) {
            x.close();
        }
        pendingRelease.clear();
    }

    // ---------------------------------------------------------------- step scope

    /**
     * Opens the scope a step computes in: a sub-manager of {@code sample}'s manager, with {@code sample},
     * {@code modelOutput} and the given kept tensors (nulls skipped) temp-attached to it.
     */
    protected StepScope openStep(NDArray sample, NDArray modelOutput, NDArray... kept) {
        return openStep(sample, modelOutput, List.of(), kept);
    }

    /** {@link #openStep(NDArray, NDArray, NDArray...)} with kept tensors from a collection, then more. */
    protected StepScope openStep(NDArray sample, NDArray modelOutput, Iterable<NDArray> kept, NDArray... more) {
        NDManager parent = sample.getManager();
        StepScope scope = new StepScope(parent, parent.newSubManager());
        try {
            sample.tempAttach(scope.sub);
            modelOutput.tempAttach(scope.sub);
            for (Iterable<NDArray> xs : List.of(kept, Arrays.asList(more))) {
                for (NDArray x : xs) {
                    if (x != null) {
                        x.tempAttach(scope.sub);
                    }
                }
            }
            return scope;
        } catch (RuntimeException e) {
            scope.close();
            throw e;
        }
    }

    /**
     * The native memory of one step: every tensor made in {@link #manager()} is closed with the scope, except the
     * outputs handed to {@link #output}, which move to the caller's manager; tensors passed to {@link #release}
     * are closed after the scope.
     */
    protected final class StepScope implements AutoCloseable {
        private final NDManager parent;
        private final NDManager sub;

        private StepScope(NDManager parent, NDManager sub) {
            this.parent = parent;
            this.sub = sub;
        }

        /** The step's sub-manager. */
        public NDManager manager() {
            return sub;
        }

        /** Moves {@code prev} and {@code predOriginal} (may be null) to the caller's manager and wraps them. */
        public SchedulerOutput output(NDArray prev, NDArray predOriginal) {
            prev.attach(parent);
            if (predOriginal != null) {
                predOriginal.attach(parent);
            }
            return new SchedulerOutput(prev, predOriginal);
        }

        @Override
        public void close() {
            try {
                sub.close();
            } finally {
                flushReleases();
            }
        }
    }

    // ---------------------------------------------------------------- tensor helpers

    /** diffusers' {@code randn_tensor(shape, generator, dtype)} in {@code manager}. */
    protected static NDArray randn(NDManager manager, Shape shape, List<TorchGenerator> generators, DataType dtype) {
        return RandnTensor.randnTensor(manager, shape, generators, dtype);
    }

    /** A {@code (B, 1, 1, ...)} float32 column of per-row factors, broadcastable against {@code like}. */
    protected static NDArray column(NDManager manager, float[] values, NDArray like) {
        long[] shape = new long[like.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[0] = values.length;
        NDArray out = manager.create(values, new Shape(shape));
        return like.getDataType() == DataType.FLOAT32 ? out : out.toType(like.getDataType(), false);
    }

    /**
     * diffusers' {@code add_noise} of the alphas_cumprod schedulers (DDIM, DDPM, PNDM, LCM):
     * {@code sqrt(alpha_prod) * original + sqrt(1 - alpha_prod) * noise}; the sigma schedulers override it.
     */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double[] ts) {
        checkBatch(original, ts);
        float[] a = new float[ts.length];
        float[] b = new float[ts.length];
        for (int i = 0; i < ts.length; i++) {
            int t = trainIndex(ts[i]);
            a[i] = SchedulerMath.sqrtF(alphasCumprod[t]);
            b[i] = SchedulerMath.sqrtF(1f - alphasCumprod[t]);
        }
        return scaledSum(original, a, noise, b);
    }

    /** {@code a[i] * original[i] + b[i] * noise[i]} for each batch row i, in {@code original}'s manager. */
    protected static NDArray scaledSum(NDArray original, float[] a, NDArray noise, float[] b) {
        NDManager parent = original.getManager();
        try (NDManager sub = parent.newSubManager()) {
            NDArray out = column(sub, a, original).mul(original).add(column(sub, b, original).mul(noise));
            out.attach(parent);
            return out;
        }
    }

    protected static void checkBatch(NDArray original, double[] ts) {
        if (ts.length != original.getShape().get(0)) {
            throw new IllegalArgumentException("add_noise needs one timestep per batch row: got " + ts.length
                    + " timesteps for shape " + original.getShape());
        }
    }

    /** An integer training timestep in range, from a double. */
    protected int trainIndex(double t) {
        if (t != Math.rint(t) || t < 0 || t >= alphasCumprod.length) {
            throw new IllegalArgumentException(className() + ": timestep " + t + " is not an integer in [0, "
                    + alphasCumprod.length + ")");
        }
        return (int) t;
    }

    // ---------------------------------------------------------------- model output conversions

    /**
     * {@code pred_original_sample} on the path {@code x_t = alpha * x_0 + sigma * eps} (DDIM, DDPM, LCM with
     * {@code alpha = sqrt(alpha_prod_t)}, {@code sigma = sqrt(beta_prod_t)}; DPM-Solver, UniPC with
     * {@code alpha_t}, {@code sigma_t}) from the configured {@code prediction_type}. Never returns
     * {@code modelOutput} itself ("sample": a copy), so a step may hand the result out.
     */
    protected NDArray predictOriginal(NDArray modelOutput, NDArray sample, float alpha, float sigma) {
        switch (config.predictionType) {
            case "epsilon":
                return originalFromEpsilon(modelOutput, sample, alpha, sigma);
            case "sample":
                return modelOutput.duplicate();
            default: // v_prediction
                return sample.mul(alpha).sub(modelOutput.mul(sigma));
        }
    }

    /** The noise on the same path from the configured {@code prediction_type} ("epsilon": the output itself). */
    protected NDArray predictEpsilon(NDArray modelOutput, NDArray sample, float alpha, float sigma) {
        switch (config.predictionType) {
            case "epsilon":
                return modelOutput;
            case "sample":
                return epsilonFromOriginal(modelOutput, sample, alpha, sigma);
            default: // v_prediction
                return modelOutput.mul(alpha).add(sample.mul(sigma));
        }
    }

    /** {@code (x_t - sigma * eps) / alpha}. */
    protected static NDArray originalFromEpsilon(NDArray eps, NDArray sample, float alpha, float sigma) {
        return sample.sub(eps.mul(sigma)).div(alpha);
    }

    /** {@code (x_t - alpha * x_0) / sigma}. */
    protected static NDArray epsilonFromOriginal(NDArray x0, NDArray sample, float alpha, float sigma) {
        return sample.sub(x0.mul(alpha)).div(sigma);
    }

    /**
     * DDIM/DDPM/LCM's treatment of the predicted {@code x_0}: dynamic thresholding if {@code thresholding}, else
     * clipping to {@code [-clipSampleRange, clipSampleRange]} if {@code clipSample}, else unchanged.
     */
    protected NDArray thresholdOrClip(NDArray x0, boolean thresholding, double dynamicThresholdingRatio,
                                      double sampleMaxValue, boolean clipSample, double clipSampleRange) {
        if (thresholding) {
            return thresholdSample(x0, dynamicThresholdingRatio, sampleMaxValue);
        }
        return clipSample ? x0.clip(-clipSampleRange, clipSampleRange) : x0;
    }

    /** diffusers' {@code _threshold_sample} (dynamic thresholding), computed on the host in float32. */
    protected NDArray thresholdSample(NDArray sample, double ratio, double sampleMaxValue) {
        Shape shape = sample.getShape();
        int batch = (int) shape.get(0);
        float[] x = sample.toType(DataType.FLOAT32, false).toFloatArray();
        int per = x.length / batch;
        float q = (float) ratio;
        float[] out = new float[x.length];
        for (int b = 0; b < batch; b++) {
            float[] abs = new float[per];
            for (int i = 0; i < per; i++) {
                abs[i] = Math.abs(x[b * per + i]);
            }
            Arrays.sort(abs);
            float rank = q * (float) (per - 1);
            int below = (int) rank;
            int above = Math.min(below + 1, per - 1);
            float w = rank - below;
            float lo = abs[below];
            float hi = abs[above];
            float s = w < 0.5f ? lo + w * (hi - lo) : hi - (hi - lo) * (1f - w);
            s = Math.min(Math.max(s, 1f), (float) sampleMaxValue);
            for (int i = 0; i < per; i++) {
                float v = x[b * per + i];
                out[b * per + i] = Math.min(Math.max(v, -s), s) / s;
            }
        }
        NDArray res = sample.getManager().create(out, shape);
        return sample.getDataType() == DataType.FLOAT32 ? res : res.toType(sample.getDataType(), false);
    }
}

// Port of diffusers.schedulers.scheduling_pndm.PNDMScheduler (diffusers 0.30.3), PRK and PLMS steps.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.List;

/**
 * Pseudo numerical methods for diffusion models (Liu et al. 2022): Runge-Kutta warm-up steps (unless
 * {@code skip_prk_steps}) then linear multistep. Model outputs ({@code ets}) are kept across steps.
 */
public class PNDMScheduler extends BaseScheduler<PNDMScheduler.Config> {

    /** PNDMScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public boolean skipPrkSteps = false;
        public boolean setAlphaToOne = false;

        public Config() {
            timestepSpacing = "leading";
        }

        @Override
        protected List<String> predictionTypes() {
            return List.of("epsilon", "v_prediction");
        }

        @Override
        public String defaultClassName() {
            return "PNDMScheduler";
        }
    }

    private static final int PNDM_ORDER = 4;
    private final float finalAlphaCumprod;
    private double[] prkTimesteps = new double[0];
    private final List<NDArray> ets = new ArrayList<>();
    private NDArray curModelOutput;
    private NDArray curSample;
    private int counter;

    public PNDMScheduler(Config config) {
        super(config, false);
        finalAlphaCumprod = config.setAlphaToOne ? 1f : alphasCumprod[0];
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        numInferenceSteps = n;
        int train = config.numTrainTimesteps;
        // diffusers' _timesteps (ascending): DDIM's spacing of the same config, reversed
        double[] base = SchedulerMath.reverse(spacedTimesteps(n, true));
        int len = base.length;
        double[] plms;
        if (config.skipPrkSteps) {
            prkTimesteps = new double[0];
            // concatenate([_t[:-1], _t[-2:-1], _t[-1:]])[::-1]
            double[] cat = new double[len >= 2 ? len + 1 : len];
            System.arraycopy(base, 0, cat, 0, len - 1);
            if (len >= 2) {
                cat[len - 1] = base[len - 2];
            }
            cat[cat.length - 1] = base[len - 1];
            plms = SchedulerMath.reverse(cat);
        } else {
            if (len < PNDM_ORDER) {
                throw new IllegalArgumentException("PNDMScheduler with skip_prk_steps=false needs num_inference_steps"
                        + " >= 4, got " + n);
            }
            double half = (double) (train / n / 2);
            double[] prk = new double[2 * PNDM_ORDER];
            for (int i = 0; i < PNDM_ORDER; i++) {
                double v = base[len - PNDM_ORDER + i];
                prk[2 * i] = v;
                prk[2 * i + 1] = v + half;
            }
            // prk[:-1].repeat(2)[1:-1][::-1]
            double[] rep = new double[2 * (prk.length - 1)];
            for (int i = 0; i < prk.length - 1; i++) {
                rep[2 * i] = prk[i];
                rep[2 * i + 1] = prk[i];
            }
            double[] mid = new double[rep.length - 2];
            System.arraycopy(rep, 1, mid, 0, mid.length);
            prkTimesteps = SchedulerMath.reverse(mid);
            plms = new double[len - 3];
            for (int i = 0; i < len - 3; i++) {
                plms[i] = base[len - 4 - i];
            }
        }
        timesteps = new double[prkTimesteps.length + plms.length];
        System.arraycopy(prkTimesteps, 0, timesteps, 0, prkTimesteps.length);
        System.arraycopy(plms, 0, timesteps, prkTimesteps.length, plms.length);
        resetState();
        ets.clear();
        curModelOutput = null;
        curSample = null;
        counter = 0;
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        requireTimesteps();
        try (StepScope scope = openStep(sample, modelOutput, ets, curModelOutput, curSample)) {
            NDArray prev = counter < prkTimesteps.length && !config.skipPrkSteps
                    ? stepPrk(modelOutput, trainIndex(timestep), sample)
                    : stepPlms(modelOutput, trainIndex(timestep), sample);
            return scope.output(prev, null);
        }
    }

    private NDArray stepPrk(NDArray modelOutput, int timestep, NDArray sample) {
        int train = config.numTrainTimesteps;
        int diffToPrev = counter % 2 != 0 ? 0 : train / numInferenceSteps / 2;
        int prevTimestep = timestep - diffToPrev;
        int t = (int) prkTimesteps[counter / 4 * 4];
        NDArray output = modelOutput;
        float sixth = (float) (1.0 / 6);
        float third = (float) (1.0 / 3);
        if (counter % 4 == 0) {
            setCurModelOutput(addTo(curModelOutput, modelOutput.mul(sixth)));
            ets.add(keep(modelOutput));
            setCurSample(keep(sample));
        } else if ((counter - 1) % 4 == 0) {
            setCurModelOutput(addTo(curModelOutput, modelOutput.mul(third)));
        } else if ((counter - 2) % 4 == 0) {
            setCurModelOutput(addTo(curModelOutput, modelOutput.mul(third)));
        } else {
            output = addTo(curModelOutput, modelOutput.mul(sixth));
            setCurModelOutput(null);
        }
        NDArray cur = curSample != null ? curSample : sample;
        NDArray prev = prevSample(cur, t, prevTimestep, output);
        counter++;
        return prev;
    }

    /** {@code cur + x} where a missing {@code cur} is diffusers' integer 0. */
    private static NDArray addTo(NDArray cur, NDArray x) {
        return cur == null ? x.add(0f) : cur.add(x);
    }

    private void setCurModelOutput(NDArray x) {
        NDArray old = curModelOutput;
        curModelOutput = x == null ? null : keep(x);
        release(old);
    }

    private void setCurSample(NDArray kept) {
        NDArray old = curSample;
        curSample = kept;
        release(old);
    }

    private NDArray stepPlms(NDArray modelOutput, int timestep, NDArray sample) {
        if (!config.skipPrkSteps && ets.size() < 3) {
            throw new IllegalStateException("PNDMScheduler can only be run AFTER scheduler has been run in 'prk' mode"
                    + " for at least 12 iterations");
        }
        int stepSize = config.numTrainTimesteps / numInferenceSteps;
        int prevTimestep = timestep - stepSize;
        if (counter != 1) {
            while (ets.size() > 3) {
                release(ets.remove(0));
            }
            ets.add(keep(modelOutput));
        } else {
            prevTimestep = timestep;
            timestep = timestep + stepSize;
        }
        NDArray output;
        int n = ets.size();
        if (n == 1 && counter == 0) {
            output = modelOutput;
            setCurSample(keep(sample));
        } else if (n == 1 && counter == 1) {
            output = modelOutput.add(ets.get(n - 1)).div(2f);
            sample = curSample;
            setCurSample(null);
        } else if (n == 2) {
            output = ets.get(n - 1).mul(3f).sub(ets.get(n - 2)).div(2f);
        } else if (n == 3) {
            output = ets.get(n - 1).mul(23f).sub(ets.get(n - 2).mul(16f)).add(ets.get(n - 3).mul(5f)).div(12f);
        } else {
            output = ets.get(n - 1).mul(55f).sub(ets.get(n - 2).mul(59f)).add(ets.get(n - 3).mul(37f))
                    .sub(ets.get(n - 4).mul(9f)).mul((float) (1.0 / 24));
        }
        NDArray prev = prevSample(sample, timestep, prevTimestep, output);
        counter++;
        return prev;
    }

    private NDArray prevSample(NDArray sample, int timestep, int prevTimestep, NDArray modelOutput) {
        float alphaProdT = alphasCumprod[timestep];
        float alphaProdTPrev = prevTimestep >= 0 ? alphasCumprod[prevTimestep] : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        modelOutput = predictEpsilon(modelOutput, sample, SchedulerMath.sqrtF(alphaProdT),
                SchedulerMath.sqrtF(betaProdT));
        float sampleCoeff = SchedulerMath.sqrtF(alphaProdTPrev / alphaProdT);
        float denom = alphaProdT * SchedulerMath.sqrtF(betaProdTPrev)
                + SchedulerMath.sqrtF(alphaProdT * betaProdT * alphaProdTPrev);
        return sample.mul(sampleCoeff).sub(modelOutput.mul(alphaProdTPrev - alphaProdT).div(denom));
    }

    @Override
    public void close() {
        ets.clear();
        curModelOutput = null;
        curSample = null;
        super.close();
    }
}

// Port of diffusers.schedulers.scheduling_ddim.DDIMScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;

/** Denoising diffusion implicit models (Song et al. 2020); {@code eta > 0} adds noise drawn from the generators. */
public class DDIMScheduler extends BaseScheduler<DDIMScheduler.Config> {

    /** DDIMScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public boolean clipSample = true;
        public boolean setAlphaToOne = true;
        public boolean thresholding = false;
        public double dynamicThresholdingRatio = 0.995;
        public double clipSampleRange = 1.0;
        public double sampleMaxValue = 1.0;
        public boolean rescaleBetasZeroSnr = false;

        public Config() {
            timestepSpacing = "leading";
        }

        @Override
        public String defaultClassName() {
            return "DDIMScheduler";
        }
    }

    private final float finalAlphaCumprod;

    public DDIMScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
        finalAlphaCumprod = config.setAlphaToOne ? 1f : alphasCumprod[0];
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        numInferenceSteps = n;
        timesteps = spacedTimesteps(n, true);
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        return step(modelOutput, timestep, sample, eta, false, generators);
    }

    /**
     * diffusers' {@code step(..., eta, use_clipped_model_output, generator)}: with {@code useClippedModelOutput} the
     * noise is recomputed from the clipped (or thresholded) predicted sample, as the DDIM pipeline can ask.
     */
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                boolean useClippedModelOutput, List<TorchGenerator> generators) {
        requireTimesteps();
        int t = trainIndex(timestep);
        int prevT = previousTimestep(t);
        float alphaProdT = alphasCumprod[t];
        float alphaProdTPrev = prevT >= 0 ? alphasCumprod[prevT] : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float sqrtA = SchedulerMath.sqrtF(alphaProdT);
        float sqrtB = SchedulerMath.sqrtF(betaProdT);
        try (StepScope scope = openStep(sample, modelOutput)) {
            NDArray predOriginal = predictOriginal(modelOutput, sample, sqrtA, sqrtB);
            NDArray predEpsilon = predictEpsilon(modelOutput, sample, sqrtA, sqrtB); // from the unclipped x_0
            predOriginal = thresholdOrClip(predOriginal, config.thresholding, config.dynamicThresholdingRatio,
                    config.sampleMaxValue, config.clipSample, config.clipSampleRange);
            if (useClippedModelOutput) {
                predEpsilon = epsilonFromOriginal(predOriginal, sample, sqrtA, sqrtB);
            }
            float variance = variance(alphaProdT, alphaProdTPrev);
            float stdDevT = (float) eta * SchedulerMath.sqrtF(variance);
            float dirCoeff = SchedulerMath.sqrtF(1f - alphaProdTPrev - stdDevT * stdDevT);
            NDArray prev = predOriginal.mul(SchedulerMath.sqrtF(alphaProdTPrev)).add(predEpsilon.mul(dirCoeff));
            if (eta > 0) {
                NDArray noise = randn(scope.manager(), modelOutput.getShape(), generators, modelOutput.getDataType());
                prev = prev.add(noise.mul(stdDevT));
            }
            return scope.output(prev, predOriginal);
        }
    }

    /** diffusers' {@code _get_variance}. */
    private static float variance(float alphaProdT, float alphaProdTPrev) {
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        return (betaProdTPrev / betaProdT) * (1f - alphaProdT / alphaProdTPrev);
    }
}

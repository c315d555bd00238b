// Port of diffusers.schedulers.scheduling_euler_ancestral_discrete.EulerAncestralDiscreteScheduler (diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;

/** Ancestral Euler sampler: every step draws one noise tensor (after the deterministic update), like diffusers. */
public class EulerAncestralDiscreteScheduler extends SigmaScheduler<EulerAncestralDiscreteScheduler.Config> {

    /** EulerAncestralDiscreteScheduler's {@code __init__} keys and defaults. */
    public static class Config extends SchedulerConfig {
        public boolean rescaleBetasZeroSnr = false;

        public Config() {
            timestepSpacing = "linspace";
        }

        @Override
        protected List<String> predictionTypes() {
            return List.of("epsilon", "v_prediction"); // diffusers raises NotImplementedError for "sample"
        }

        @Override
        public String defaultClassName() {
            return "EulerAncestralDiscreteScheduler";
        }
    }

    public EulerAncestralDiscreteScheduler(Config config) {
        super(config, config.rescaleBetasZeroSnr);
    }

    @Override
    public void setTimesteps(int n) {
        checkSteps(n);
        numInferenceSteps = n;
        double[] ts = spacedTimestepsF32(n);
        sigmas = withFinal(interpSigmas(ts), 0.0);
        timesteps = ts;
        resetIndex();
    }

    @Override
    public SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                                List<TorchGenerator> generators) {
        startStep(timestep);
        try (StepScope scope = openStep(sample, modelOutput)) {
            float sigma = sigmas[stepIndex];
            NDArray x = sample.toType(DataType.FLOAT32, false);
            NDArray predOriginal = denoised(modelOutput, x, sigma);
            float sigmaFrom = sigmas[stepIndex];
            float sigmaTo = sigmas[stepIndex + 1];
            float from2 = sigmaFrom * sigmaFrom;
            float to2 = sigmaTo * sigmaTo;
            float sigmaUp = SchedulerMath.sqrtF(to2 * (from2 - to2) / from2);
            float sigmaDown = SchedulerMath.sqrtF(to2 - sigmaUp * sigmaUp);
            NDArray derivative = x.sub(predOriginal).div(sigma);
            float dt = sigmaDown - sigma;
            NDArray prev = x.add(derivative.mul(dt));
            NDArray noise = randn(scope.manager(), modelOutput.getShape(), generators, modelOutput.getDataType());
            prev = prev.add(noise.mul(sigmaUp)).toType(modelOutput.getDataType(), false);
            stepIndex++;
            return scope.output(prev, predOriginal);
        }
    }
}

// diffusers.schedulers.scheduling_utils.SchedulerMixin (interface placeholder until the schedulers land).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.TorchGenerator;

import java.util.List;

/** A diffusers scheduler. */
public interface Scheduler extends AutoCloseable {
    ConfigBase config();

    int order();

    void setTimesteps(int numInferenceSteps);

    double[] timesteps();

    double initNoiseSigma();

    NDArray scaleModelInput(NDArray sample, double timestep);

    SchedulerOutput step(NDArray modelOutput, double timestep, NDArray sample, double eta,
                         List<TorchGenerator> generators);

    NDArray addNoise(NDArray original, NDArray noise, double[] timesteps);

    void setBeginIndex(int beginIndex);

    Scheduler copy();

    @Override
    void close();
}

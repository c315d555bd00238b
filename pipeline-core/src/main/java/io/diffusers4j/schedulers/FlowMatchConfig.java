// The __init__ keys diffusers 0.30.3's flow-matching schedulers share: num_train_timesteps and shift.
package io.diffusers4j.schedulers;

import java.util.List;

import static io.diffusers4j.config.ConfigLimits.inRange;

/**
 * Config of the flow-matching schedulers ({@link FlowMatchEulerDiscreteScheduler},
 * {@link FlowMatchHeunDiscreteScheduler}): {@code num_train_timesteps} and the static {@code shift}. Their
 * {@code __init__} takes none of the beta / prediction / spacing keys of the other schedulers: those are not keys of
 * this config ({@link #keysNotTaken()}), are not checked and are saved back only when the file had them.
 */
public abstract class FlowMatchConfig extends SchedulerConfig {
    private static final List<String> NOT_TAKEN = List.of("beta_start", "beta_end", "beta_schedule",
            "trained_betas", "prediction_type", "timestep_spacing", "steps_offset");

    /** The static time shift {@code s}: {@code sigma -> s * sigma / (1 + (s - 1) * sigma)} (SD3: 3.0). */
    public double shift = 1.0;

    @Override
    protected List<String> keysNotTaken() {
        return NOT_TAKEN;
    }

    /**
     * {@code num_train_timesteps} within [1, {@link #MAX_TRAIN_TIMESTEPS}] (the training tables have that many
     * entries) and {@code shift} a finite number above 0 (diffusers checks neither; 0 or less makes every sigma 0 or
     * moves sigmas out of [0, 1]).
     */
    @Override
    public void validate() {
        inRange("num_train_timesteps", numTrainTimesteps, 1, MAX_TRAIN_TIMESTEPS);
        finitePositive("shift", shift);
    }

    /** Throws unless {@code value} is finite and above 0. */
    protected static void finitePositive(String key, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw invalid("key '%s' is %s, which is not a finite number above 0", key, value);
        }
    }

    /** Throws unless {@code value} (when set) is finite. */
    protected static void finiteIfSet(String key, Double value) {
        if (value != null && !Double.isFinite(value)) {
            throw invalid("key '%s' is %s, which is not a finite number", key, value);
        }
    }
}

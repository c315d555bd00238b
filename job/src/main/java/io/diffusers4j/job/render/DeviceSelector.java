// Picks the device of a task: the GPU Spark assigned to it, else the CPU.
package io.diffusers4j.job.render;

import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.Map;

/**
 * "gpu:N" when Spark assigned GPU address N to the running task ({@code spark.task.resource.gpu.amount}), else
 * "cpu". With policy "cpu" or "gpu:N" always that device.
 */
public final class DeviceSelector {
    private DeviceSelector() {
    }

    public static String forCurrentTask(String policy) {
        if ("cpu".equals(policy) || policy.startsWith("gpu:")) {
            return policy;
        }
        TaskContext tc = TaskContext.get();
        if (tc == null) {
            return "cpu";
        }
        Map<String, ResourceInformation> resources = tc.resourcesJMap();
        ResourceInformation gpu = resources == null ? null : resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0) {
            return "cpu";
        }
        return "gpu:" + gpu.addresses()[0].trim();
    }
}

// Per-JVM settings executors apply around DJL: offline mode, no tracking, libtorch intra-op threads.
package io.diffusers4j.job.render;

import ai.djl.pytorch.jni.JniUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Belt and braces for executors: {@code spark.executorEnv.OPT_OUT_TRACKING/DJL_OFFLINE} set the environment, and
 * {@link #djlOffline()} sets the equivalent system properties (DJL reads either) before the engine loads, so DJL
 * never calls home nor downloads. {@link #torchThreads} sizes libtorch's intra-op pool to the cores each
 * concurrent task owns (a 4-core executor running 4 tasks: 1 thread each), avoiding oversubscription.
 */
public final class JvmSettings {
    private static final Logger LOG = LoggerFactory.getLogger(JvmSettings.class);
    private static int threadsApplied;

    private JvmSettings() {
    }

    /** DJL offline and no tracking for this JVM (idempotent; safe on the driver too). */
    public static void djlOffline() {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("DJL_OFFLINE", "true");
        System.setProperty("ai.djl.offline", "true");
    }

    /** Before the engine loads: what libtorch will start with. */
    static synchronized void torchThreadsBeforeEngine(int threads) {
        if (threads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
    }

    /** Once the engine is up: sets the live intra-op thread count (new task threads pick it up). */
    static synchronized void torchThreadsOnEngine(int threads) {
        if (threads > 0 && threadsApplied != threads) {
            JniUtils.setNumThreads(threads);
            threadsApplied = threads;
            LOG.info("libtorch intra-op threads per task: {}", threads);
        }
    }
}

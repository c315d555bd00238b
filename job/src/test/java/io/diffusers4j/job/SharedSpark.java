// The one local SparkSession of a test JVM (Spark starts in ~5-10 s; every Spark test shares it).
package io.diffusers4j.job;

import org.apache.spark.sql.SparkSession;

/**
 * {@code local[2,3]}: two task slots (so tasks run concurrently, as on an executor with two cores) and up to
 * three attempts per task (local mode retries nothing by default; the retry test needs retries).
 */
public final class SharedSpark {
    private static SparkSession spark;

    private SharedSpark() {
    }

    public static synchronized SparkSession get() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .master("local[2,3]")
                    .appName("diffusers4j-job-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.execution.sortBeforeRepartition", "true")
                    .config("spark.ui.showConsoleProgress", "false")
                    .getOrCreate();
        }
        return spark;
    }
}

// `diffusers4j --version`: the project's version and the versions of the engines it runs on.
package io.diffusers4j.cli;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;

/**
 * The versions built in (project, DJL, the bundled libtorch, the Spark it was built against) and, where a
 * deployment overrides them, the ones that will run: a libtorch from {@code PYTORCH_LIBRARY_PATH} /
 * {@code PYTORCH_VERSION}, the Spark on the classpath. Loads no native library.
 */
public final class VersionInfo implements IVersionProvider {
    private static final String BUILT = "io/diffusers4j/cli/version.properties";
    private static final String SPARK_RUNTIME = "spark-version-info.properties";

    @Override
    public String[] getVersion() {
        Properties built = load(BUILT);
        String torch = System.getenv("PYTORCH_LIBRARY_PATH") == null
                ? built.getProperty("libtorch") + " (bundled CPU build)"
                : System.getenv().getOrDefault("PYTORCH_VERSION", "?") + " " + System.getenv()
                        .getOrDefault("PYTORCH_FLAVOR", "") + " from PYTORCH_LIBRARY_PATH="
                        + System.getenv("PYTORCH_LIBRARY_PATH");
        Properties spark = load(SPARK_RUNTIME);
        String sparkVersion = spark.getProperty("version") != null ? spark.getProperty("version")
                : "not on the classpath (built against " + built.getProperty("spark") + ")";
        return List.of("diffusers4j " + built.getProperty("diffusers4j"),
                "DJL " + built.getProperty("djl"),
                "libtorch " + torch.trim(),
                "Spark " + sparkVersion,
                "Java " + System.getProperty("java.version")).toArray(String[]::new);
    }

    private static Properties load(String resource) {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}

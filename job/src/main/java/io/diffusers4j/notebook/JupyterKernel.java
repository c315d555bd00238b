// The running Jupyter Java kernel (JJava, IJava), found by reflection: displays a MIME bundle in the notebook.
package io.diffusers4j.notebook;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;

/**
 * Displays a MIME bundle through the Java kernel that runs this code, if any. The kernels are found by reflection,
 * so this project depends on none of them. Each one has a kernel accessor, a {@code DisplayData} class (a MIME
 * bundle: {@code new DisplayData(text)} holds {@code text/plain}, {@code putData(mimeType, data)} adds a type) and
 * the kernel's {@code display(DisplayData)}, which sends a {@code display_data} message; checked against their
 * sources:
 * <ul>
 * <li>JJava 1.0-a6 and later: {@code org.dflib.jjava.jupyter.kernel.BaseKernel.notebookKernel()} (throws when no
 * kernel runs),</li>
 * <li>JJava up to 1.0-a5: {@code org.dflib.jjava.JJava.getKernelInstance()},</li>
 * <li>IJava 1.3: {@code io.github.spencerpark.ijava.IJava.getKernelInstance()} (null when no kernel runs).</li>
 * </ul>
 */
final class JupyterKernel {
    private record Api(String kernel, String accessor, String displayData) {
    }

    private static final List<Api> APIS = List.of(
            new Api("org.dflib.jjava.jupyter.kernel.BaseKernel", "notebookKernel",
                    "org.dflib.jjava.jupyter.kernel.display.DisplayData"),
            new Api("org.dflib.jjava.JJava", "getKernelInstance", "org.dflib.jjava.jupyter.kernel.display.DisplayData"),
            new Api("io.github.spencerpark.ijava.IJava", "getKernelInstance",
                    "io.github.spencerpark.jupyter.kernel.display.DisplayData"));

    private JupyterKernel() {
    }

    /**
     * Displays {@code bundle} (MIME type to data, with a {@code text/plain} entry) in the running kernel.
     *
     * @return false when no Java kernel runs this code
     */
    static boolean display(Map<String, String> bundle) {
        for (Api api : APIS) {
            Object kernel = running(api);
            if (kernel == null) {
                continue;
            }
            try {
                Class<?> type = load(api.displayData());
                Object data = type.getConstructor(String.class).newInstance(bundle.get("text/plain"));
                Method put = type.getMethod("putData", String.class, Object.class);
                for (Map.Entry<String, String> e : bundle.entrySet()) {
                    put.invoke(data, e.getKey(), e.getValue());
                }
                kernel.getClass().getMethod("display", type).invoke(kernel, data);
                return true;
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new IllegalStateException("a Java kernel runs (" + api.kernel() + ") but its display API is not "
                        + "the expected " + api.displayData() + " / display(DisplayData): " + e, e);
            }
        }
        return false;
    }

    /** The kernel instance of {@code api}, or null when that kernel's classes are absent or no kernel runs. */
    private static Object running(Api api) {
        try {
            return load(api.kernel()).getMethod(api.accessor()).invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    private static Class<?> load(String name) throws ClassNotFoundException {
        try {
            return Class.forName(name, true, JupyterKernel.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            if (context == null) {
                throw e;
            }
            return Class.forName(name, true, context);
        }
    }
}

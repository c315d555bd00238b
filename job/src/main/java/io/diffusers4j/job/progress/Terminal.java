// Whether the driver's stderr is an interactive terminal (where a progress line can be redrawn in place).
package io.diffusers4j.job.progress;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Java cannot tell whether stderr is a terminal ({@code System.console()} looks at stdin and stdout only), so
 * this asks the C library's {@code isatty(2)}. A dumb terminal ({@code TERM=dumb}, e.g. an editor's output pane)
 * or a platform without the call counts as no terminal.
 */
public final class Terminal {
    private static final int STDERR = 2;

    /** The one C library function used. */
    private interface CLibrary extends Library {
        int isatty(int fd);
    }

    private Terminal() {
    }

    public static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            return Native.load("c", CLibrary.class).isatty(STDERR) == 1;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }
}

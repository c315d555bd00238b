// The command line's one error style: `diffusers4j <command>: error: <one line>`, exit 2; failures exit 1.
package io.diffusers4j.cli;

import io.diffusers4j.job.render.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.List;

/**
 * Reports what went wrong on one line of stderr: a bad option (with picocli's suggestions, "did you mean
 * --prompts?"), a value a command or pipeline refuses (IllegalArgumentException, exit 2), or a failure (any other
 * exception, exit 1; {@code DIFFUSERS4J_DEBUG=1} adds the stack trace). Hub tokens are scrubbed.
 */
final class Errors {
    private static final Logger LOG = LoggerFactory.getLogger(Errors.class);
    static final int USAGE = 2;
    static final int FAILED = 1;

    private Errors() {
    }

    static CommandLine install(CommandLine cmd) {
        cmd.setParameterExceptionHandler(Errors::usage);
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> failure(e, commandLine));
        return cmd;
    }

    private static int usage(CommandLine.ParameterException e, String[] args) {
        CommandLine where = e.getCommandLine();
        PrintWriter err = where.getErr();
        StringBuilder line = new StringBuilder(prefix(where)).append("error: ").append(oneLine(e.getMessage()));
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
            List<String> suggestions = unmatched.getSuggestions();
            if (!suggestions.isEmpty()) {
                line.append(" (did you mean ").append(String.join(" or ", suggestions.subList(0,
                        Math.min(3, suggestions.size())))).append("?)");
            }
        }
        err.println(Redaction.scrub(line.toString()));
        err.flush();
        return USAGE;
    }

    private static int failure(Exception e, CommandLine where) {
        PrintWriter err = where.getErr();
        if (e instanceof IllegalArgumentException) {
            err.println(Redaction.scrub(prefix(where) + "error: " + oneLine(e.getMessage())));
            LOG.debug("usage error", e);
            err.flush();
            return USAGE;
        }
        err.println(Redaction.scrub(prefix(where) + "failed: " + oneLine(String.valueOf(e.getMessage())) + " ("
                + e.getClass().getSimpleName() + "; set DIFFUSERS4J_DEBUG=1 for the stack trace)"));
        if (System.getenv("DIFFUSERS4J_DEBUG") != null) {
            e.printStackTrace(err);
        }
        LOG.debug("command failed", e);
        err.flush();
        return FAILED;
    }

    /** "diffusers4j generate: ". */
    private static String prefix(CommandLine where) {
        return where.getCommandSpec().qualifiedName() + ": ";
    }

    /** User errors are reported on one line: the first line of the message. */
    static String oneLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl) + " ...";
    }
}

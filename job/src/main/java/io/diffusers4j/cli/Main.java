// Entry point of scripts/diffusers4j: dispatches subcommands, turns user errors into one line + exit code 2.
package io.diffusers4j.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code diffusers4j <command> [options]}. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String[] args) {
        Map<String, Command> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.println(usage(commands));
            return args.length == 0 ? 2 : 0;
        }
        Command cmd = commands.get(args[0]);
        if (cmd == null) {
            System.err.println("diffusers4j: unknown command '" + args[0] + "'\n\n" + usage(commands));
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            System.out.println(cmd.help());
            return 0;
        }
        try {
            return cmd.run(rest);
        } catch (UsageException | IllegalArgumentException e) {
            System.err.println("diffusers4j " + cmd.name() + ": error: " + oneLine(e.getMessage()));
            LOG.debug("usage error", e);
            return 2;
        } catch (Exception | Error e) {
            System.err.println("diffusers4j " + cmd.name() + ": failed: " + oneLine(String.valueOf(e.getMessage()))
                    + " (" + e.getClass().getSimpleName() + "; set DIFFUSERS4J_DEBUG=1 for the stack trace)");
            if (System.getenv("DIFFUSERS4J_DEBUG") != null) {
                e.printStackTrace();
            }
            LOG.debug("command failed", e);
            return 1;
        }
    }

    /** User errors are reported on one line: the first line of the message. */
    static String oneLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl) + " ...";
    }

    static Map<String, Command> commands() {
        Map<String, Command> out = new LinkedHashMap<>();
        for (Command c : List.of(new GenerateCommand(), new TokenizeCommand(), new TinyPipelineCommand(),
                new JobCommand(), new io.diffusers4j.bench.BenchCommand())) {
            out.put(c.name(), c);
        }
        return out;
    }

    private static String usage(Map<String, Command> commands) {
        StringBuilder b = new StringBuilder("usage: diffusers4j <command> [options]   (diffusers4j <command> --help)\n\n");
        b.append("commands:\n");
        for (Command c : commands.values()) {
            b.append(String.format("  %-14s %s%n", c.name(), c.summary()));
        }
        return b.toString();
    }
}

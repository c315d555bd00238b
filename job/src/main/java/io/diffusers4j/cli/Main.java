// Entry point of scripts/diffusers4j: one picocli command line for every subcommand, one error style.
package io.diffusers4j.cli;

import io.diffusers4j.bench.BenchCommand;
import io.diffusers4j.job.JobCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code diffusers4j <command> [options]}: generate, tokenize, tiny-pipeline, job, plan, bench, completion. Exit codes:
 * 0 done, 1 failed, 2 a usage or input error, reported on one line as {@code diffusers4j <command>: error: ...}
 * (with a "did you mean" suggestion for a mistyped option).
 */
@Command(name = "diffusers4j", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = "Hugging Face Diffusers pipelines in Java, and a Spark batch generation job.",
        subcommands = {GenerateCommand.class, TokenizeCommand.class, TinyPipelineCommand.class, JobCommand.class,
            PlanCommand.class,
            BenchCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String[] args) {
        return commandLine().execute(args);
    }

    /** The command line with every subcommand and the project's error handlers. */
    public static CommandLine commandLine() {
        CommandLine cmd = Errors.install(new CommandLine(new Main()));
        // job flags are config keys: a later value overrides an earlier one, as in config files
        cmd.getSubcommands().get("job").setOverwrittenOptionsAllowed(true);
        return cmd;
    }

    /** {@code diffusers4j} alone: the usage on stderr, exit 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Errors.USAGE;
    }
}

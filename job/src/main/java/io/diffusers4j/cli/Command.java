// One subcommand of the diffusers4j launcher.
package io.diffusers4j.cli;

/** A subcommand: a name, a one-line summary, a full --help text, and its run method (returns the exit code). */
public interface Command {
    String name();

    String summary();

    String help();

    int run(String[] args) throws Exception;
}

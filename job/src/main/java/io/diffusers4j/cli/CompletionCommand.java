// `diffusers4j completion`: a bash/zsh completion script generated from the command line's own definition.
package io.diffusers4j.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** Prints the completion script; {@code source <(scripts/diffusers4j completion)} enables it in a shell. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a bash/zsh completion script for diffusers4j.",
            "Enable it with: source <(scripts/diffusers4j completion)"})
public final class CompletionCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine root = spec.commandLine().getParent();
        System.out.print(AutoComplete.bash(root.getCommandName(), root));
        return 0;
    }
}

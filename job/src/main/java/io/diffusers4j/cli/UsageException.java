// A user error on the command line: one line on stderr, exit code 2, nothing written.
package io.diffusers4j.cli;

/** Bad arguments: the message names the argument and the offending values. */
public class UsageException extends IllegalArgumentException {
    public UsageException(String message) {
        super(message);
    }
}

// NotebookRunner.run: cells of statements run; a cell ending in a valued expression is refused (execute_result).
package io.diffusers4j.notebooks;

import jdk.jshell.JShell;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NotebookRunnerTest {

    @Test
    void aCellEndingInAnExpressionWithAValueIsRefusedStatementsRun() {
        try (JShell shell = JShell.builder().executionEngine("local").build()) {
            assertNull(NotebookRunner.run(shell, "int x = 1 + 1;\nString s = \"a\";"));
            assertNull(NotebookRunner.run(shell, "x = 3;\nSystem.out.print(\"\");"));
            assertNull(NotebookRunner.run(shell, "x + 1;\nint y = x;"), "only the last snippet counts");
            for (String cell : new String[]{"x + 1", "x", "s.length();", "int z = 0;\nMath.max(z, 1)"}) {
                String failure = NotebookRunner.run(shell, cell);
                assertTrue(failure != null && failure.contains("execute_result"), cell + " -> " + failure);
            }
            assertTrue(NotebookRunner.run(shell, "undefinedName.call();").contains("does not compile"));
        }
    }
}

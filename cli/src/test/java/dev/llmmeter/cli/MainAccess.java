package dev.llmmeter.cli;

/** Lets tests in other packages run the CLI in-process, as bin/metering would. */
public final class MainAccess {
    private MainAccess() {
    }

    public static int execute(String... args) {
        return Main.commandLine().execute(args);
    }
}

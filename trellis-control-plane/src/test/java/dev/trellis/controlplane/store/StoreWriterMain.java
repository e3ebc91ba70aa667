package dev.trellis.controlplane.store;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A child process for {@link SqliteStoreTest}: opens the store in the directory given, prints
 * "open PID", then writes {@code /kill/N = value-N} for N = the revision it opened at, N + 1, ...
 * and prints "ack REVISION N ." after each write returned, until it is killed. It exits on its
 * own when its stdin closes, so a test that dies leaves no writer behind.
 */
public final class StoreWriterMain {
    private StoreWriterMain() {}

    public static void main(String[] args) {
        PrintStream out = System.out;
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (System.in.read() != -1) {
                    // the parent keeps stdin open while it lives
                }
            } catch (IOException ignored) {
                // treated as the parent gone
            }
            Runtime.getRuntime().halt(3);
        });
        Store store = SqliteStore.open(Path.of(args[0]));
        out.println("open " + ProcessHandle.current().pid());
        out.flush();
        for (long n = store.revision(); ; n++) {
            long revision = store.put("/kill/" + n, ("value-" + n).getBytes(UTF_8));
            out.println("ack " + revision + " " + n + " .");
            out.flush();
        }
    }
}

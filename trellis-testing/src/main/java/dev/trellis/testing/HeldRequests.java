package dev.trellis.testing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code /hold} requests of one {@link HttpEchoServer} that wait for the test to release
 * them: a request that is held is in flight at the app for as long as the test wants, with no
 * clock involved.
 */
final class HeldRequests {
    private final Set<Runnable> held = ConcurrentHashMap.newKeySet();

    /** Holds a request; {@code answer} runs once when the test releases it. */
    void hold(Runnable answer) {
        held.add(answer);
    }

    /** Forgets a held request whose connection or stream went away. */
    void drop(Runnable answer) {
        held.remove(answer);
    }

    int count() {
        return held.size();
    }

    /** Answers every request held now; returns how many. */
    int releaseAll() {
        int released = 0;
        for (Runnable answer : held) {
            if (held.remove(answer)) {
                answer.run();
                released++;
            }
        }
        return released;
    }
}

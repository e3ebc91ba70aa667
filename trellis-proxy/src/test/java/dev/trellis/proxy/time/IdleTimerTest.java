package dev.trellis.proxy.time;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdleTimerTest {
    private static final long TIMEOUT_MS = 1000;

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private boolean watching = true;
    private boolean inUse;
    private int timeouts;
    private final IdleTimer timer = new IdleTimer(loop.eventLoop(), new IdleTimer.Watched() {
        @Override
        public boolean watching() {
            return watching;
        }

        @Override
        public boolean inUse() {
            return inUse;
        }

        @Override
        public void idleTimedOut() {
            timeouts++;
        }
    });

    IdleTimerTest() {
        loop.freezeTime();
    }

    @AfterEach
    void close() {
        loop.finishAndReleaseAll();
    }

    private void advance(long millis) {
        for (long i = 0; i < millis; i += 10) {
            loop.advanceTimeBy(10, TimeUnit.MILLISECONDS);
            loop.runScheduledPendingTasks();
        }
    }

    @Test
    void firesAfterTheTimeoutAndBeforeAQuarterMore() {
        timer.start(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
        advance(TIMEOUT_MS - 10);
        assertThat(timeouts).as("not before the timeout").isZero();
        advance(TIMEOUT_MS / 4 + 10);
        assertThat(timeouts).as("within a quarter more").isEqualTo(1);
        advance(3 * TIMEOUT_MS);
        assertThat(timeouts).as("once: it stops after firing").isEqualTo(1);
    }

    @Test
    void activityPostponesIt() {
        timer.start(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
        for (int i = 0; i < 10; i++) {
            advance(TIMEOUT_MS / 2);
            timer.touch();
        }
        assertThat(timeouts).as("touched every half timeout for five timeouts").isZero();
        advance(TIMEOUT_MS - 10);
        assertThat(timeouts).isZero();
        advance(TIMEOUT_MS / 4 + 10);
        assertThat(timeouts).isEqualTo(1);
    }

    @Test
    void beingInUseCountsAsActivity() {
        timer.start(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
        inUse = true;
        advance(5 * TIMEOUT_MS);
        assertThat(timeouts).isZero();
        inUse = false;
        advance(TIMEOUT_MS + TIMEOUT_MS / 4 + 10);
        assertThat(timeouts).isEqualTo(1);
    }

    @Test
    void stopsWhenNothingIsWatchedAndRestartsWhenStartedAgain() {
        timer.start(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
        watching = false;
        advance(5 * TIMEOUT_MS);
        assertThat(timeouts).isZero();
        assertThat(loop.runScheduledPendingTasks()).as("no timer left behind").isEqualTo(-1);
        watching = true;
        timer.start(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
        advance(TIMEOUT_MS + TIMEOUT_MS / 4 + 10);
        assertThat(timeouts).isEqualTo(1);
    }

    @Test
    void stoppedItNeverFires() {
        timer.start(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
        timer.stop();
        advance(5 * TIMEOUT_MS);
        assertThat(timeouts).isZero();
    }
}

package dev.trellis.proxy.time;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An inactivity timeout that costs nothing per activity: no clock read and no timer touched, only
 * a flag set. The timer looks {@value #CHECKS} times per timeout and fires after that many looks in
 * a row found nothing moved, so it fires between one timeout and a quarter more after the last
 * activity. One timer per watched thing, not per request, on the thing's own event loop; every
 * method must be called there.
 */
public final class IdleTimer {
    /** Looks per timeout: the precision, a quarter of the timeout, against one wake-up per quarter. */
    static final int CHECKS = 4;

    /** What the timer watches. */
    public interface Watched {
        /** False: nothing to time out now; the timer stops until {@link #start} is called again. */
        boolean watching();

        /** True: in use, which counts as activity (a connection lent out, a stream open). */
        boolean inUse();

        /** Nothing moved for the whole timeout. */
        void idleTimedOut();
    }

    private final EventExecutor loop;
    private final Watched watched;
    private long periodNanos;
    private ScheduledFuture<?> check;
    private boolean moved;
    private int quietChecks;

    public IdleTimer(EventExecutor loop, Watched watched) {
        this.loop = loop;
        this.watched = watched;
    }

    /** Something moved: the count of quiet looks starts again. */
    public void touch() {
        moved = true;
    }

    /** Starts timing out after {@code timeoutNanos} of inactivity (0: never), unless already running. */
    public void start(long timeoutNanos) {
        moved = true;
        if (timeoutNanos <= 0) {
            stop();
            return;
        }
        long period = Math.max(1, timeoutNanos / CHECKS);
        if (check != null && period == periodNanos) {
            return;
        }
        stop();
        periodNanos = period;
        check = loop.schedule(this::check, period, TimeUnit.NANOSECONDS);
    }

    public void stop() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
        quietChecks = 0;
    }

    private void check() {
        check = null;
        if (!watched.watching()) {
            quietChecks = 0;
            return;
        }
        if (moved || watched.inUse()) {
            moved = false;
            quietChecks = 0;
        } else if (++quietChecks >= CHECKS) {
            quietChecks = 0;
            watched.idleTimedOut();
            return;
        }
        check = loop.schedule(this::check, periodNanos, TimeUnit.NANOSECONDS);
    }
}

package dev.trellis.proxy.resilience;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One unit taken from a shared limit (a connection, a request, a retry), given back by {@link
 * #release()}. Releasing is idempotent per permit: the second and later calls do nothing, so an
 * end path that runs twice (a reset racing a response, a timer firing after completion) cannot
 * drive the shared count below what is really in use.
 */
public final class Permit {
    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup().findVarHandle(Permit.class, "released", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A refusal: nothing was taken, there is nothing to give back. */
    static final Permit DENIED = new Permit(null, false);

    /** Granted by a limit that keeps no count (a rate budget): nothing to give back. */
    static final Permit UNCOUNTED = new Permit(null, true);

    private final AtomicLong counter;
    private final boolean granted;
    @SuppressWarnings("unused") // through RELEASED
    private volatile int released;

    private Permit(AtomicLong counter, boolean granted) {
        this.counter = counter;
        this.granted = granted;
    }

    /** A granted permit holding one unit of {@code counter}, already counted by the caller. */
    static Permit holding(AtomicLong counter) {
        return new Permit(counter, true);
    }

    /** Whether the limit let the caller through; a denied permit must not proceed. */
    public boolean granted() {
        return granted;
    }

    /**
     * Gives the unit back. Safe to call on every end path.
     *
     * @return true if this call gave a unit back; false if the permit was denied, holds nothing,
     *     or was already released
     */
    public boolean release() {
        if (counter == null || !RELEASED.compareAndSet(this, 0, 1)) {
            return false;
        }
        counter.decrementAndGet();
        return true;
    }

    @Override
    public String toString() {
        if (!granted) {
            return "Permit[denied]";
        }
        return counter == null ? "Permit[uncounted]" : "Permit[released=" + ((int) RELEASED.getVolatile(this) == 1) + "]";
    }
}

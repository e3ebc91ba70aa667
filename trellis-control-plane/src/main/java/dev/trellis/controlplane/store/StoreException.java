package dev.trellis.controlplane.store;

/**
 * A store call failed. Unchecked: every call can fail on I/O and most callers can only pass it up;
 * the subclasses are the failures callers act on (re-list, re-grant, shrink the request).
 */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

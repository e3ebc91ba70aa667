package dev.trellis.controlplane.store;

/** The store was closed; every call after {@link Store#close()} fails with this. */
public final class StoreClosedException extends StoreException {
    public StoreClosedException(String store) {
        super(store + " is closed");
    }
}

package dev.trellis.controlplane.store;

/** A running watch; closing it stops its deliveries. */
public interface Watch extends AutoCloseable {

    /**
     * Stops the watch without waiting for its listener: a call the watch's thread has already
     * begun may still run, but no other follows, {@link WatchListener#onError} included. Closing
     * twice does nothing.
     */
    @Override
    void close();
}

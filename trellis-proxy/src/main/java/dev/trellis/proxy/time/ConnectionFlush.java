package dev.trellis.proxy.time;

import io.netty.channel.Channel;

/**
 * One flush of an HTTP/2 connection for all the streams that wrote to it in one turn of its event
 * loop: what a batch of reads produced leaves in one write, not one each. Serves both the client
 * connections ({@code Http2ServerConnection}) and the shared upstream ones ({@code Lease}). Every
 * method must be called on the connection's event loop.
 */
public final class ConnectionFlush implements Runnable {
    private final Channel connection;
    private boolean scheduled;

    public ConnectionFlush(Channel connection) {
        this.connection = connection;
    }

    /** Flushes the connection once the event loop is done with what it is doing now. */
    public void request() {
        if (!scheduled) {
            scheduled = true;
            connection.eventLoop().execute(this);
        }
    }

    @Override
    public void run() {
        scheduled = false;
        connection.flush();
    }
}

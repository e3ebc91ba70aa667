package dev.trellis.proxy.upstream;

import io.netty.channel.Channel;

/**
 * One flush of a shared HTTP/2 connection for all the streams that wrote to it in one turn of the
 * event loop: the requests of a batch of client reads leave in one write, not one each.
 */
public final class ConnectionFlush implements Runnable {
    private final Channel connection;
    private boolean scheduled;

    ConnectionFlush(Channel connection) {
        this.connection = connection;
    }

    /** Flushes the connection once the event loop is done with what it is doing now. */
    void request() {
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

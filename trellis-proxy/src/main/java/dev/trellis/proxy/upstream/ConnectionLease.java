package dev.trellis.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpObject;

/** An HTTP/1.1 connection, leased whole for one request. */
public record ConnectionLease(Channel channel, UpstreamHandler handler, boolean reused) implements Lease {
    @Override
    public void bind(ResponseSink sink) {
        handler.bind(sink);
    }

    @Override
    public void write(HttpObject part) {
        channel.write(part, channel.voidPromise());
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean writable() {
        return channel.isWritable();
    }

    @Override
    public void reading(boolean on) {
        channel.config().setAutoRead(on);
    }

    @Override
    public void close() {
        handler.unbind();
        channel.close();
    }

    @Override
    public boolean multiplexed() {
        return false;
    }
}

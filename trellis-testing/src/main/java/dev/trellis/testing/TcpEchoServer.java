package dev.trellis.testing;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;

/**
 * A sample backend for opaque TCP: sends every byte back on the connection it came from. When
 * the client shuts down its output (half-close), the server finishes echoing and closes, so a
 * client can send everything, then read to end-of-stream.
 */
public final class TcpEchoServer extends SampleServer {

    /** A server on an ephemeral port; see {@link #port()} once started. */
    public TcpEchoServer(String name) {
        this(name, 0);
    }

    /** A server on {@code port}, or an ephemeral one if 0. */
    public TcpEchoServer(String name, int port) {
        super(name, port);
    }

    @Override
    public TcpEchoServer start() {
        super.start();
        return this;
    }

    @Override
    ChannelHandler childHandler() {
        TcpEchoHandler echo = new TcpEchoHandler();
        return new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.config().setAllowHalfClosure(true);
                ch.pipeline().addLast(echo);
            }
        };
    }
}

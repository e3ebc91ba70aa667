package dev.trellis.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the test clients share: one event loop each, a connect with a deadline, and turning
 * asynchronous results into blocking calls that fail with {@link IOException}s.
 */
final class ClientChannels {

    private ClientChannels() {
    }

    /** One daemon event-loop thread: a test client needs no more, and must never keep a JVM alive. */
    static EventLoopGroup newGroup(String name) {
        return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name, true), NioIoHandler.newFactory());
    }

    static void shutdown(EventLoopGroup group) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Connects to {@code host:port} within {@code timeout}, with {@code handler} on the new channel. */
    static Channel connect(EventLoopGroup group, String host, int port, ChannelHandler handler, Duration timeout)
            throws IOException {
        ChannelFuture connected = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(handler)
                .connect(host, port)
                .awaitUninterruptibly();
        if (!connected.isSuccess()) {
            throw new IOException("cannot connect to " + host + ":" + port + ": " + connected.cause().getMessage(),
                    connected.cause());
        }
        return connected.channel();
    }

    /** Waits for {@code result}; a timeout, failure or interruption becomes an {@link IOException}. */
    static <T> T await(CompletableFuture<T> result, Duration timeout, String what) throws IOException {
        try {
            return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            result.cancel(false);
            throw new SocketTimeoutException("no " + what + " within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + what);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io
                    ? new IOException(what + " failed: " + io.getMessage(), io)
                    : new IOException(what + " failed: " + cause, cause);
        }
    }
}

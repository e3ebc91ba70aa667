package dev.trellis.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The open-loop engine. One event-loop thread keeps the connections: whenever a request of the
 * {@link Schedule} is due it goes out on the idle connection that has waited longest (one request
 * at a time per connection, no pipelining); when none is idle it waits for the first to finish its
 * answer, and its latency still runs from its intended start. A request is sent once and only
 * once: a connection that closes or breaks under it, or an answer that does not come in time,
 * makes it a failure, and a new connection takes the closed one's place. The run ends on its own
 * when every scheduled request is answered or failed, or at the latest {@code timeout} after the
 * last intended start, when whatever is still in flight or was never sent counts as failed.
 */
final class OpenLoopClient {
    private static final long SWEEP_MILLIS = 50;
    private static final long RECONNECT_DELAY_MILLIS = 100;

    private final LoadOptions options;
    private final Schedule schedule;
    private final long total;
    private final long firstRecorded;
    private final Results results;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final ByteBuf request;
    private final List<Connection> connections = new ArrayList<>();
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private final CompletableFuture<Results> finished = new CompletableFuture<>();
    private long startNanos;
    private long next;
    private int inFlight;
    private boolean started;
    private ScheduledFuture<?> pumpTimer;
    private ScheduledFuture<?> sweep;

    private OpenLoopClient(LoadOptions options) {
        this.options = options;
        this.schedule = options.rate();
        this.firstRecorded = schedule.countBefore(options.warmupNanos());
        this.total = schedule.countBefore(options.warmupNanos() + options.durationNanos());
        this.results = new Results(total - firstRecorded, options.durationNanos());
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("load", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.loop = group.next();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.timeoutNanos() / 1_000_000))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpResponseDecoder(), new Connection());
                    }
                });
        byte[] bytes = ("GET " + options.path() + " HTTP/1.1\r\nHost: " + options.authority() + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        this.request = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    }

    /**
     * Opens the connections, runs the schedule and returns what it counted.
     *
     * @throws IOException if the connections cannot all be opened before the start
     */
    static Results run(LoadOptions options) throws IOException {
        OpenLoopClient client = new OpenLoopClient(options);
        try {
            return client.runAll();
        } finally {
            client.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            client.request.release();
        }
    }

    private Results runAll() throws IOException {
        List<ChannelFuture> connects = new ArrayList<>();
        for (int i = 0; i < options.connections(); i++) {
            connects.add(bootstrap.connect(options.host(), options.port()));
        }
        for (ChannelFuture connect : connects) {
            if (!connect.awaitUninterruptibly().isSuccess()) {
                throw new IOException("cannot connect to " + options.authority() + ": " + connect.cause().getMessage(),
                        connect.cause());
            }
        }
        loop.execute(this::start);
        return finished.join();
    }

    private void start() {
        if (connections.size() < options.connections()) {
            finished.completeExceptionally(new IOException(options.authority() + " closed "
                    + (options.connections() - connections.size()) + " connection(s) before the start"));
            return;
        }
        startNanos = System.nanoTime();
        started = true;
        sweep = loop.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        pump();
    }

    /** Sends every request that is due, while a connection is idle; then waits for the next one's time. */
    private void pump() {
        if (!started || finished.isDone()) {
            return;
        }
        long now = System.nanoTime();
        while (next < total && !idle.isEmpty()) {
            long intended = startNanos + schedule.offsetNanos(next);
            if (intended - now > 0) {
                if (pumpTimer == null) {
                    pumpTimer = loop.schedule(this::onPumpTimer, intended - now, TimeUnit.NANOSECONDS);
                }
                return;
            }
            idle.pollFirst().send(next++, intended, now);
        }
        finishIfDone();
    }

    private void onPumpTimer() {
        pumpTimer = null;
        pump();
    }

    private void answered(Connection connection, long index, long intended, int status) {
        long now = System.nanoTime();
        inFlight--;
        results.answered(index >= firstRecorded, status, now - intended, now - startNanos - options.warmupNanos());
        idle.addLast(connection);
        pump();
    }

    private void failed(long index) {
        inFlight--;
        results.failed(index >= firstRecorded);
    }

    /** Fails each request that has waited too long for its answer, and ends a run that has gone on too long. */
    private void sweep() {
        long now = System.nanoTime();
        for (Connection connection : List.copyOf(connections)) {
            connection.failIfOlderThan(now - options.timeoutNanos());
        }
        long end = startNanos + options.warmupNanos() + options.durationNanos() + options.timeoutNanos();
        if (now - end >= 0 && !finished.isDone()) {
            for (Connection connection : List.copyOf(connections)) {
                connection.failIfOlderThan(now);
            }
            for (; next < total; next++) {
                results.failed(next >= firstRecorded);
            }
            finish();
        }
    }

    private void finishIfDone() {
        if (next == total && inFlight == 0 && !finished.isDone()) {
            finish();
        }
    }

    private void finish() {
        if (pumpTimer != null) {
            pumpTimer.cancel(false);
        }
        sweep.cancel(false);
        for (Connection connection : List.copyOf(connections)) {
            connection.channel.close();
        }
        finished.complete(results);
    }

    private void reconnect() {
        if (finished.isDone()) {
            return;
        }
        bootstrap.connect(options.host(), options.port()).addListener((ChannelFuture connect) -> {
            if (!connect.isSuccess() && !finished.isDone()) {
                results.connectFailed();
                loop.schedule(this::reconnect, RECONNECT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** One keep-alive connection: idle, or waiting for the answer to one request. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private Channel channel;
        private long index = -1;
        private long intended;
        private long sent;
        private int status;

        void send(long requestIndex, long intendedNanos, long nowNanos) {
            index = requestIndex;
            intended = intendedNanos;
            sent = nowNanos;
            status = 0;
            inFlight++;
            channel.writeAndFlush(request.retainedDuplicate(), channel.voidPromise());
        }

        /** Fails the request in flight if it was sent before {@code deadline}, and closes the connection. */
        void failIfOlderThan(long deadline) {
            if (index >= 0 && deadline - sent >= 0) {
                failInFlight();
                channel.close();
            }
        }

        private void failInFlight() {
            if (index >= 0) {
                long failedIndex = index;
                index = -1;
                failed(failedIndex);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            connections.add(this);
            idle.addLast(this);
            pump();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof HttpObject http) || http.decoderResult().isFailure() || index < 0) {
                    // Undecodable, or an answer to nothing: the connection can be trusted no more.
                    if (index < 0 && started && !finished.isDone()) {
                        results.failed(System.nanoTime() - startNanos >= options.warmupNanos());
                    }
                    failInFlight();
                    ctx.close();
                    return;
                }
                if (msg instanceof HttpResponse response) {
                    status = response.status().code();
                }
                if (msg instanceof LastHttpContent) {
                    long answeredIndex = index;
                    index = -1;
                    answered(this, answeredIndex, intended, status);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connections.remove(this);
            idle.remove(this);
            failInFlight();
            if (started) {
                reconnect();
                finishIfDone();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}

package dev.trellis.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.balance.LbPolicy;
import dev.trellis.proxy.config.Cluster;
import java.util.List;
import dev.trellis.testing.HttpEchoServer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 pool of one event loop and endpoint, at its limits: one connection, one waiting
 * request, a peer that allows one stream. A waiting request is served when a stream closes; one
 * past the queue fails at once; one cancelled while it waits leaves the queue.
 */
class Http2PoolTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final EventLoop loop = group.next();
    final UpstreamPools pools = new UpstreamPools(NioSocketChannel.class, new UpstreamPools.Limits(1, 1));
    HttpEchoServer backend;
    Cluster cluster;

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (backend != null) {
            backend.close();
        }
    }

    <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    Future<Lease> open(Endpoint endpoint) throws Exception {
        return onLoop(() -> pools.open(loop, cluster, endpoint));
    }

    /** An HTTP/2 cluster of one endpoint, whose breaker sets no limit of its own. */
    static Cluster http2Cluster(int port) {
        return new Cluster(new Cluster.Spec("outbound|80||h2", "h2", true,
                List.of(new Cluster.EndpointSpec("127.0.0.1", port, Map.of())), LbPolicy.ROUND_ROBIN), null);
    }

    static Lease leased(Future<Lease> future) {
        await().atMost(WAIT).until(future::isDone);
        assertThat(future.isSuccess()).as("%s", future.cause()).isTrue();
        return future.getNow();
    }

    @Test
    void atTheLimitsRequestsWaitInOrderOverflowAndLeaveTheQueueWhenCancelled() throws Exception {
        backend = new HttpEchoServer("one-stream").maxConcurrentStreams(1).start();
        cluster = http2Cluster(backend.port());
        Endpoint endpoint = cluster.endpoints().get(0);

        Lease first = leased(open(endpoint));
        Future<Lease> second = open(endpoint);
        Future<Lease> third = open(endpoint);

        assertThat(second.isDone()).as("waits: the one connection has its one stream open").isFalse();
        assertThat(third.isDone()).isTrue();
        assertThat(third.cause()).isInstanceOf(UpstreamOverflowException.class)
                .hasMessageStartingWith("1 requests wait for a stream already, and 1 connections are at their peer's stream limit");

        assertThat(onLoop(() -> second.cancel(false))).isTrue();
        Future<Lease> fourth = open(endpoint);
        assertThat(fourth.isDone()).as("the cancelled request left the queue: room for this one").isFalse();

        onLoop(() -> {
            first.close();
            return null;
        });
        Lease next = leased(fourth);
        assertThat(next.multiplexed()).isTrue();
        assertThat(((Http2StreamLease) next).connection()).as("on the same connection")
                .isSameAs(((Http2StreamLease) first).connection());
        onLoop(() -> {
            next.close();
            return null;
        });

        assertThat(backend.connectionCount()).as("one connection at most").isEqualTo(1);
        assertThat(backend.maxConcurrentStreamsSeen()).isLessThanOrEqualTo(1);
    }

    @Test
    void aConnectionThatCannotBeMadeFailsTheRequestsWaitingForIt() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        cluster = http2Cluster(closedPort);
        Endpoint nobody = cluster.endpoints().get(0);

        Future<Lease> waiting = open(nobody);

        await().atMost(WAIT).until(waiting::isDone);
        assertThat(waiting.cause()).isInstanceOf(ConnectException.class);
    }
}

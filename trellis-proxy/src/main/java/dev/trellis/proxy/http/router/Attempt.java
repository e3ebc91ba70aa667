package dev.trellis.proxy.http.router;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.http.HopByHop;
import dev.trellis.proxy.http.LocalReply;
import dev.trellis.proxy.resilience.CircuitBreaker;
import dev.trellis.proxy.resilience.LocalOriginFailure;
import dev.trellis.proxy.resilience.OutlierDetector;
import dev.trellis.proxy.resilience.Permit;
import dev.trellis.proxy.upstream.Lease;
import dev.trellis.proxy.upstream.ResponseSink;
import dev.trellis.proxy.upstream.UnprocessedRequestException;
import dev.trellis.proxy.upstream.UpstreamOverflowException;
import dev.trellis.proxy.upstream.UpstreamPools;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One try of a request to one endpoint: its circuit-breaker permits, its connection or stream, its
 * per-try timer, the response's upstream framing, and its outcome, fed to outlier detection and to
 * the balancer's latency estimate. The {@link Router} decides what an outcome means; an attempt it
 * abandons closes its connection (an HTTP/2 stream is reset, not its connection). Runs on the
 * request's event loop; late callbacks of an attempt that ended do nothing.
 */
final class Attempt implements ResponseSink {
    private final Router router;
    private final Cluster cluster;
    private final Endpoint endpoint;
    private final UpstreamPools pools;
    /** Whether the try holds a unit of the breaker's {@code maxRequests}, from its start to its end. */
    private boolean holdsRequest;
    /** Held while the try waits for a connection or stream: {@code maxPendingRequests}. */
    private Permit pending;
    /** Held by a retry: the budget's or the breaker's {@code maxRetries}. */
    private final Permit retry;
    private Future<Lease> opening;
    private Lease lease;
    private long sentNanos;
    private ScheduledFuture<?> perTryTimer;
    private boolean ended;
    private boolean headReceived;
    private boolean interim;
    private boolean reusable = true;
    /** The response's body ends when the upstream closes: it has neither a length nor chunks. */
    private boolean closeDelimited;
    /** The end of a close-delimited body, held until the close is known to be clean, not a reset. */
    private LastHttpContent closeDelimitedEnd;

    Attempt(Router router, Cluster cluster, Endpoint endpoint, UpstreamPools pools, Permit retry) {
        this.router = router;
        this.cluster = cluster;
        this.endpoint = endpoint;
        this.pools = pools;
        this.retry = retry;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    boolean connected() {
        return lease != null;
    }

    /** @param fresh a new connection even if one is idle: a WebSocket upgrade, or a try after a stale pooled one */
    void start(boolean fresh, long perTryNanos) {
        holdsRequest = cluster.breaker().tryTake(CircuitBreaker.Resource.REQUESTS);
        if (!holdsRequest) {
            ended = true;
            releasePermits();
            cluster.stats().requestOverflow();
            router.onOverflow(this, "maxRequests " + cluster.breaker().policy().maxRequests() + " reached");
            return;
        }
        endpoint.requestStarted();
        if (perTryNanos > 0) {
            perTryTimer = router.eventLoop().schedule(this::onPerTryTimeout, perTryNanos, TimeUnit.NANOSECONDS);
        }
        Lease idle = fresh || cluster.http2() ? null : pools.idle(cluster, endpoint);
        if (idle != null) {
            send(idle);
            return;
        }
        Future<Lease> opened = pools.open(router.eventLoop(), cluster, endpoint);
        if (opened.isDone()) {
            onOpened(opened);
            return;
        }
        pending = cluster.breaker().tryAcquire(CircuitBreaker.Resource.PENDING_REQUESTS);
        if (!pending.granted()) {
            opened.cancel(false);
            end();
            cluster.stats().pendingOverflow();
            router.onOverflow(this, "maxPendingRequests " + cluster.breaker().policy().maxPendingRequests() + " reached");
            return;
        }
        opening = opened;
        router.waitingForUpstream(true);
        opened.addListener(f -> onOpened(opened));
    }

    private void onOpened(Future<Lease> opened) {
        if (opening == opened) {
            opening = null;
        }
        if (pending != null) {
            pending.release();
        }
        if (opened.isCancelled()) {
            return; // by this attempt, which ended meanwhile
        }
        if (ended) {
            if (opened.isSuccess()) {
                pools.release(opened.getNow()); // late: a stream is closed, a new connection kept for the next
            }
            return;
        }
        if (!opened.isSuccess()) {
            Throwable cause = opened.cause();
            if (cause instanceof UpstreamOverflowException) {
                end();
                cluster.stats().pendingOverflow();
                router.onOverflow(this, LocalReply.describe(cause));
            } else {
                fail(Failure.CONNECT_FAILURE, cause);
            }
            return;
        }
        OutlierDetector outlier = cluster.outlier();
        if (outlier != null) {
            outlier.onConnected(endpoint);
        }
        send(opened.getNow());
    }

    /** Sends the request's head and what there is of its body on a leased connection or stream. */
    private void send(Lease leased) {
        lease = leased;
        lease.bind(this);
        sentNanos = System.nanoTime();
        lease.write(router.head());
        router.body().writeTo(lease);
        lease.flush();
        router.waitingForUpstream(!lease.writable());
    }

    /** More of the request body arrived. */
    void bodyArrived() {
        if (lease == null) {
            return; // written when the connection is had
        }
        router.body().writeTo(lease);
        if (!lease.writable()) {
            router.waitingForUpstream(true);
        }
    }

    void flush() {
        if (lease != null) {
            lease.flush();
        }
    }

    void downstreamWritable() {
        if (lease != null) {
            lease.reading(true);
        }
    }

    @Override
    public void onUpstreamWritable() {
        router.waitingForUpstream(false);
    }

    @Override
    public void onUpstreamReadComplete() {
        router.flushDownstream();
    }

    @Override
    public void onUpstreamRead(Object msg) {
        if (ended) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                abandon();
                router.onMalformedResponse(this, LocalReply.describe(response.decoderResult().cause()));
                return;
            }
            onHead(response);
            return;
        }
        HttpContent content = (HttpContent) msg;
        if (content.decoderResult().isFailure()) {
            content.release(); // the upstream broke its body's framing: the client must not take it as whole
            abandon();
            router.onResponseBroken(this);
            return;
        }
        if (content instanceof LastHttpContent last && closeDelimited && !interim) {
            // The decoder ends a close-delimited body at any close, a reset too: whether the body
            // is whole is known only once the upstream says how it closed (onUpstreamClosed).
            closeDelimitedEnd = last;
            return;
        }
        if (interim) {
            router.onInterim(content);
            if (content instanceof LastHttpContent) {
                interim = false;
            }
            return;
        }
        router.onBody(this, content);
        if (!router.downstreamWritable() && lease != null) {
            lease.reading(false);
        }
    }

    private void onHead(HttpResponse response) {
        int code = response.status().code();
        if (code == 101 && router.webSocket()) {
            cancelPerTryTimer();
            router.onUpgrade(this, response);
            return;
        }
        boolean multiplexed = lease.multiplexed();
        interim = code >= 100 && code < 200;
        closeDelimited = !multiplexed && !interim && !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                && !HttpUtil.isTransferEncodingChunked(response) && !router.headRequest() && code != 204 && code != 304;
        if (!multiplexed && (!HttpUtil.isKeepAlive(response) || closeDelimited)) {
            reusable = false; // the server closes, or delimits the body by closing
        }
        HopByHop.strip(response.headers(), false, multiplexed);
        if (interim) {
            router.onInterim(response);
            return;
        }
        headReceived = true;
        cancelPerTryTimer();
        long now = System.nanoTime();
        cluster.balancer().record(endpoint, now - sentNanos, now);
        OutlierDetector outlier = cluster.outlier();
        if (outlier != null) {
            outlier.onResponse(endpoint, code, now);
        }
        router.onResponseHead(this, response);
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (ended) {
            return;
        }
        Lease closed = lease;
        lease = null;
        if (closeDelimitedEnd != null) {
            LastHttpContent last = closeDelimitedEnd;
            closeDelimitedEnd = null;
            if (cause == null) {
                reusable = false;
                router.onBody(this, last); // a clean close: the end of the body
            } else {
                last.release();
                end();
                router.onResponseBroken(this); // a reset, which cut the body short
            }
            return;
        }
        if (headReceived) {
            end();
            router.onResponseBroken(this); // the client cannot get a complete response now
        } else if (cause instanceof UnprocessedRequestException) {
            end();
            router.onFailure(this, Failure.REFUSED_STREAM, cause, false);
        } else {
            fail(Failure.RESET, cause, closed != null && closed.reused());
        }
    }

    private void onPerTryTimeout() {
        perTryTimer = null;
        if (ended) {
            return;
        }
        cluster.stats().perTryTimeout();
        abandon();
        reportLocalOrigin(LocalOriginFailure.TIMEOUT);
        router.onFailure(this, Failure.PER_TRY_TIMEOUT, null, false);
    }

    private void fail(Failure failure, Throwable cause) {
        fail(failure, cause, false);
    }

    /** @param stale a pooled connection the server had closed while it idled: nothing was processed */
    private void fail(Failure failure, Throwable cause, boolean stale) {
        abandon();
        if (!stale && failure.localOrigin != null) {
            reportLocalOrigin(failure.localOrigin);
        }
        router.onFailure(this, failure, cause, stale);
    }

    /** The route's deadline ran out during this try: outlier detection counts it as the endpoint's timeout. */
    void timedOut() {
        if (!headReceived) {
            reportLocalOrigin(LocalOriginFailure.TIMEOUT);
        }
        abandon();
    }

    private void reportLocalOrigin(LocalOriginFailure failure) {
        OutlierDetector outlier = cluster.outlier();
        if (outlier != null) {
            outlier.onLocalOriginFailure(endpoint, failure, System.nanoTime());
        }
    }

    /**
     * The response is whole and handed on: the connection goes back to the pool if it can serve
     * another request ({@code requestComplete}: the server has read the whole request), else closes.
     */
    void finish(boolean requestComplete) {
        if (ended) {
            return;
        }
        Lease done = lease;
        lease = null;
        end();
        if (done != null) {
            if (reusable && requestComplete && !done.multiplexed()) {
                pools.release(done);
            } else {
                close(done);
            }
        }
    }

    /** Gives up on this try: its connection is closed (a stream reset), its permits given back. */
    void abandon() {
        if (ended) {
            return;
        }
        Future<Lease> o = opening;
        if (o != null) {
            opening = null;
            o.cancel(false); // leaves the pool's queue; a connection made for it is kept for the next
        }
        Lease done = lease;
        lease = null;
        if (closeDelimitedEnd != null) {
            closeDelimitedEnd.release();
            closeDelimitedEnd = null;
        }
        end();
        if (done != null) {
            close(done);
        }
    }

    /** The connection became a tunnel: it leaves the pool's care with this try. */
    Lease handOver() {
        Lease done = lease;
        lease = null;
        end();
        return done;
    }

    private static void close(Lease lease) {
        lease.close();
    }

    /** Every end path comes here once: timers cancelled, counts and permits given back. */
    private void end() {
        if (ended && !holdsRequest) {
            return;
        }
        boolean started = holdsRequest;
        ended = true;
        cancelPerTryTimer();
        if (started) {
            endpoint.requestEnded();
        }
        releasePermits();
    }

    private void releasePermits() {
        if (holdsRequest) {
            holdsRequest = false;
            cluster.breaker().giveBack(CircuitBreaker.Resource.REQUESTS);
        }
        if (pending != null) {
            pending.release();
        }
        if (retry != null) {
            retry.release();
        }
    }

    private void cancelPerTryTimer() {
        if (perTryTimer != null) {
            perTryTimer.cancel(false);
            perTryTimer = null;
        }
    }

    @Override
    public String toString() {
        return "attempt to " + endpoint + " of " + cluster.name();
    }
}

package dev.trellis.proxy.http.router;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.resilience.CircuitBreaker;
import dev.trellis.proxy.resilience.Permit;
import dev.trellis.proxy.upstream.Lease;
import dev.trellis.proxy.upstream.ResponseSink;
import dev.trellis.proxy.upstream.UpstreamPools;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.List;

/**
 * A copy of a request sent to a mirror cluster, fire and forget: its answer is read and dropped,
 * its failures are the mirror's alone, and the primary request never waits for it. As in Envoy,
 * the copy's Host gets {@code -shadow} appended, so the mirror's logs tell copies apart; and a
 * full circuit breaker skips the copy rather than queue it.
 */
final class MirrorCall implements ResponseSink {
    private final Cluster cluster;
    private final Endpoint endpoint;
    private final UpstreamPools pools;
    private final HttpRequest head;
    private List<HttpContent> body;
    private Permit permit;
    private Lease lease;
    private boolean reusable = true;

    private MirrorCall(Cluster cluster, Endpoint endpoint, UpstreamPools pools, HttpRequest head, List<HttpContent> body, Permit permit) {
        this.cluster = cluster;
        this.endpoint = endpoint;
        this.pools = pools;
        this.head = head;
        this.body = body;
        this.permit = permit;
    }

    /** Sends a copy of {@code original} with {@code body} (whose pieces it takes) to one endpoint of {@code cluster}. */
    static void send(EventLoop loop, UpstreamPools pools, Cluster cluster, HttpRequest original, List<HttpContent> body) {
        Endpoint endpoint = cluster.balancer().pick(() -> null);
        Permit permit = endpoint == null ? null : cluster.breaker().tryAcquire(CircuitBreaker.Resource.REQUESTS);
        if (permit == null || !permit.granted()) {
            body.forEach(ReferenceCountUtil::release);
            return;
        }
        HttpRequest head = new DefaultHttpRequest(original.protocolVersion(), original.method(), original.uri(),
                original.headers().copy());
        String host = head.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            head.headers().set(HttpHeaderNames.HOST, shadowHost(host));
        }
        cluster.stats().mirrored();
        MirrorCall call = new MirrorCall(cluster, endpoint, pools, head, body, permit);
        endpoint.requestStarted();
        Lease idle = cluster.http2() ? null : pools.idle(cluster, endpoint);
        if (idle != null) {
            call.write(idle);
        } else {
            Future<Lease> opened = pools.open(loop, cluster, endpoint);
            opened.addListener(f -> {
                if (f.isSuccess()) {
                    call.write(opened.getNow());
                } else {
                    call.end();
                }
            });
        }
    }

    /** Envoy's shadow host: {@code -shadow} after the host name, before any port. */
    static String shadowHost(String host) {
        int end = host.startsWith("[") ? host.indexOf(']') + 1 : host.indexOf(':');
        if (end <= 0 || end >= host.length()) {
            return host + "-shadow";
        }
        return host.substring(0, end) + "-shadow" + host.substring(end);
    }

    private void write(Lease leased) {
        lease = leased;
        lease.bind(this);
        lease.write(head);
        for (HttpContent piece : body) {
            lease.write(piece);
        }
        body = List.of();
        lease.flush();
    }

    @Override
    public void onUpstreamRead(Object msg) {
        if (msg instanceof io.netty.handler.codec.http.HttpResponse response && !lease.multiplexed()
                && (!HttpUtil.isKeepAlive(response) || !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                        && !HttpUtil.isTransferEncodingChunked(response))) {
            reusable = false;
        }
        boolean last = msg instanceof LastHttpContent;
        ReferenceCountUtil.release(msg);
        if (last && lease != null) {
            Lease done = lease;
            lease = null;
            if (reusable && !done.multiplexed()) {
                pools.release(done);
            } else {
                done.close();
            }
            end();
        }
    }

    @Override
    public void onUpstreamReadComplete() {}

    @Override
    public void onUpstreamWritable() {}

    @Override
    public void onUpstreamClosed(Throwable cause) {
        lease = null;
        end();
    }

    private void end() {
        if (permit != null) {
            permit.release();
            permit = null;
            endpoint.requestEnded();
        }
        body.forEach(ReferenceCountUtil::release);
        body = List.of();
    }
}

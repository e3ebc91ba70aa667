package dev.trellis.proxy.http;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.balance.PickContext;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.route.HashPolicy;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.route.WeightedCluster;
import dev.trellis.proxy.tcp.RelayHandler;
import dev.trellis.proxy.telemetry.RequestStats;
import dev.trellis.proxy.upstream.Lease;
import dev.trellis.proxy.upstream.ResponseSink;
import dev.trellis.proxy.upstream.UnprocessedRequestException;
import dev.trellis.proxy.upstream.UpstreamOverflowException;
import dev.trellis.proxy.upstream.UpstreamPools;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;

/**
 * One request and its response, from the downstream client through one upstream endpoint:
 * route, pick a destination and an endpoint, lease a connection, stream the request body up and
 * the response down with backpressure both ways, then record the outcome. Runs on the event loop
 * of the downstream channel, which is also the loop of its upstream connection.
 *
 * <p>A request an HTTP/2 upstream did not process (it refused the stream, or the stream was above
 * the last stream id of its GOAWAY) is sent again, to an endpoint picked anew, up to
 * {@link #MAX_UNPROCESSED_RETRIES} times, as long as nothing of a response reached the client and
 * the request can be written again whole: a request without a body always can; one with a body
 * only while every piece of it sent so far is held, which this exchange does for HTTP/2 upstreams
 * up to {@link #REPLAY_LIMIT} bytes, until the response begins.
 */
final class Exchange implements ResponseSink, PickContext, HashPolicy.Request {
    /** Request body bytes held to be sent again to an HTTP/2 upstream that did not process the request. */
    static final int REPLAY_LIMIT = 64 * 1024;
    /** Times a request an upstream did not process is sent again. */
    static final int MAX_UNPROCESSED_RETRIES = 3;
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private final HttpProxyHandler downstream;
    private final ChannelHandlerContext ctx;
    private final boolean http2;
    private final long startNanos = System.nanoTime();
    private HttpRequest request;
    /** The client's HTTP version; the request goes upstream as HTTP/1.1 whatever it was. */
    private HttpVersion clientVersion;
    private boolean keepAlive;
    private boolean bodyless;
    private boolean headRequest;
    private boolean webSocket;
    private Route route;
    private WeightedCluster destination;
    private Endpoint endpoint;
    private Lease upstream;
    /** The lease asked for and not yet had: cancelled if the exchange ends first. */
    private Future<Lease> opening;
    private ArrayDeque<HttpContent> waiting;
    /** Body pieces already sent to an HTTP/2 upstream, held to be sent again; see {@link #REPLAY_LIMIT}. */
    private ArrayList<HttpContent> replay;
    private int replayBytes;
    /** Every body piece sent so far is held in {@link #replay}. */
    private boolean replayable = true;
    private int unprocessedRetries;
    private String responseCookie;
    private int status;
    private boolean requestComplete;
    private boolean responseStarted;
    /** Something of the response, a 1xx included, was written to the client: no retry now. */
    private boolean responseWritten;
    private boolean responseComplete;
    private boolean interim;
    private boolean discardBody;
    private boolean upstreamReusable = true;
    /** The response's body ends when the upstream closes: it has neither a length nor chunks. */
    private boolean closeDelimited;
    /** The end of a close-delimited body, held until the close is known to be clean, not a reset. */
    private LastHttpContent closeDelimitedEnd;
    private boolean retried;
    private boolean done;

    Exchange(HttpProxyHandler downstream, HttpRequest request) {
        this.downstream = downstream;
        this.ctx = downstream.ctx();
        this.http2 = downstream.http2();
        this.request = request;
    }

    boolean requestComplete() {
        return requestComplete;
    }

    void start() {
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            ReferenceCountUtil.release(request);
            rejectMalformed(decoded.cause());
            return;
        }
        clientVersion = request.protocolVersion();
        keepAlive = http2 || HttpUtil.isKeepAlive(request);
        headRequest = HttpMethod.HEAD.equals(request.method());
        ListenerConfig config = downstream.listener().config();
        webSocket = !http2 && config.webSocket() && isWebSocketUpgrade(request.headers());
        if (request instanceof FullHttpRequest full) {
            requestComplete = true;
            if (!full.content().isReadable()) {
                // Keep no buffer: a bodyless request can then be written again on a retry.
                full.release();
                request = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
                bodyless = true;
            } else {
                replayable = false; // its body goes with its head, and is sent once
            }
        } else {
            bodyless = !http2 && !HttpUtil.isTransferEncodingChunked(request) && HttpUtil.getContentLength(request, 0L) == 0;
        }

        route = config.routes().match(request);
        if (route == null) {
            respondLocally(HttpResponseStatus.NOT_FOUND, "no route matched " + request.method() + " "
                    + request.headers().get(HttpHeaderNames.HOST, "") + request.uri() + " on listener " + config.name());
            return;
        }
        destination = route.pickCluster();
        Cluster cluster = destination.cluster();
        if (cluster == null) {
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, "cluster " + destination.name() + " not found (route "
                    + route.name() + ")");
            return;
        }
        endpoint = cluster.balancer().pick(this);
        if (endpoint == null) {
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream for " + cluster.name());
            return;
        }
        endpoint.requestStarted();
        prepareRequest(cluster);
        lease(false);
    }

    private void prepareRequest(Cluster cluster) {
        HttpHeaders headers = request.headers();
        HopByHop.strip(headers, webSocket, http2);
        if (http2 && !cluster.http2()) {
            Framing.requestFromHttp2(request);
        }
        if (!headers.contains(X_REQUEST_ID)) {
            headers.set(X_REQUEST_ID, RequestIds.next());
        }
        String client = sourceIp();
        if (client != null) {
            String forwarded = headers.get(X_FORWARDED_FOR);
            headers.set(X_FORWARDED_FOR, forwarded == null ? client : forwarded + ", " + client);
        }
        if (!headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, HTTP);
        }
        route.requestHeaders().apply(headers);
        destination.requestHeaders().apply(headers);
        if (route.pathRewrite() != null) {
            request.setUri(route.pathRewrite().apply(request.uri()));
        }
        if (route.authorityRewrite() != null) {
            headers.set(HttpHeaderNames.HOST, route.authorityRewrite());
        }
        if (request.protocolVersion() != HttpVersion.HTTP_1_1) {
            request.setProtocolVersion(HttpVersion.HTTP_1_1); // upstream connections stay open
        }
    }

    /** @param fresh a new connection, not an idle one (a retry, or a WebSocket upgrade) */
    private void lease(boolean fresh) {
        UpstreamPools pools = downstream.listener().pools();
        boolean http2 = destination.cluster().http2();
        Lease idle = http2 || fresh || webSocket ? null : pools.idle(endpoint);
        if (idle != null) {
            send(idle);
            return;
        }
        Future<Lease> opened = pools.open(ctx.channel().eventLoop(), endpoint, http2);
        if (opened.isDone()) {
            onOpened(opened);
        } else {
            opening = opened;
            downstream.pause(HttpProxyHandler.WAIT_UPSTREAM);
            opened.addListener(f -> onOpened(opened));
        }
    }

    private void onOpened(Future<Lease> opened) {
        if (opening == opened) {
            opening = null;
        }
        if (opened.isCancelled()) {
            return; // by this exchange, which ended meanwhile
        }
        if (done) {
            if (opened.isSuccess()) {
                // Late: a stream is closed (nothing was sent on it), a new connection kept for the next.
                downstream.listener().pools().release(opened.getNow());
            }
            return;
        }
        if (!opened.isSuccess()) {
            Throwable cause = opened.cause();
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    (cause instanceof UpstreamOverflowException ? "upstream overflow: " : "upstream connect error: ")
                            + describe(cause) + " (endpoint " + endpoint + ", cluster " + destination.cluster().name() + ")");
            return;
        }
        send(opened.getNow());
    }

    private void cancelOpening() {
        Future<Lease> o = opening;
        if (o != null) {
            opening = null;
            o.cancel(false); // leaves the pool's queue; a connection made for it is kept for the next
        }
    }

    /** Sends the request, and what was read of its body so far, on a leased connection or stream. */
    private void send(Lease lease) {
        upstream = lease;
        upstream.handler().bind(this);
        Channel up = upstream.channel();
        up.write(request, up.voidPromise());
        if (bodyless && requestComplete) {
            up.write(LastHttpContent.EMPTY_LAST_CONTENT, up.voidPromise());
        }
        if (replay != null) {
            for (HttpContent piece : replay) {
                up.write(piece.retainedDuplicate(), up.voidPromise()); // sent again: the upstream did not process it
            }
        }
        if (waiting != null) {
            HttpContent content;
            while ((content = waiting.poll()) != null) {
                sendBody(up, content);
            }
        }
        up.flush();
        if (up.isWritable()) {
            downstream.resume(HttpProxyHandler.WAIT_UPSTREAM);
        }
    }

    /**
     * Writes a piece of the request body upstream; to an HTTP/2 upstream, keeps it to be sent again
     * while the pieces sent so far fit in {@link #REPLAY_LIMIT} and the response has not begun.
     */
    private void sendBody(Channel up, HttpContent content) {
        if (replayable && !bodyless && upstream.multiplexed()) {
            int size = content.content().readableBytes();
            if (replayBytes + size <= REPLAY_LIMIT) {
                if (replay == null) {
                    replay = new ArrayList<>(4);
                }
                replay.add(content);
                replayBytes += size;
                up.write(content.retainedDuplicate(), up.voidPromise());
                return;
            }
            dropReplay();
        }
        up.write(content, up.voidPromise());
    }

    /** No more retries for this request: let go of the body pieces held for one. */
    private void dropReplay() {
        replayable = false;
        if (replay != null) {
            replay.forEach(ReferenceCountUtil::release);
            replay = null;
            replayBytes = 0;
        }
    }

    void requestContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release(); // a broken body (a bad chunk): the upstream must not take it as whole
            if (responseStarted) {
                abort();
            } else {
                closeUpstream();
                rejectMalformed(content.decoderResult().cause());
            }
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (discardBody || done) {
            content.release();
        } else if (upstream == null) {
            if (bodyless && last && !content.content().isReadable() && !(content instanceof FullHttpRequest)) {
                content.release(); // written with the request once leased, so a retry can repeat it
            } else {
                (waiting == null ? waiting = new ArrayDeque<>(4) : waiting).add(content);
            }
        } else {
            Channel up = upstream.channel();
            sendBody(up, content);
            if (!up.isWritable()) {
                downstream.pause(HttpProxyHandler.WAIT_UPSTREAM);
            }
        }
        if (last) {
            maybeEnd();
        }
    }

    void flushUpstream() {
        if (upstream != null) {
            upstream.channel().flush();
        }
    }

    void onDownstreamWritable() {
        if (upstream != null) {
            upstream.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void onUpstreamWritable() {
        downstream.resume(HttpProxyHandler.WAIT_UPSTREAM);
    }

    @Override
    public void onUpstreamReadComplete() {
        ctx.flush();
    }

    @Override
    public void onUpstreamRead(Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                upstreamReusable = false;
                closeUpstream();
                respondLocally(HttpResponseStatus.BAD_GATEWAY, "upstream sent a malformed response: "
                        + describe(response.decoderResult().cause()) + " (endpoint " + endpoint + ")");
                return;
            }
            int code = response.status().code();
            if (code == 101 && webSocket) {
                becomeTunnel(response);
                return;
            }
            interim = code >= 100 && code < 200;
            prepareResponse(response, code);
        } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
            content.release(); // the upstream broke its body's framing: the client must not take it as whole
            abort();
            return;
        } else if (msg instanceof LastHttpContent last && closeDelimited && !interim) {
            // The decoder ends a close-delimited body at any close, a reset too: whether the body
            // is whole is known only once the upstream says how it closed (onUpstreamClosed, next).
            closeDelimitedEnd = last;
            return;
        }
        responseWritten = true;
        ctx.write(msg, ctx.voidPromise());
        if (!ctx.channel().isWritable()) {
            upstream.channel().config().setAutoRead(false);
        }
        if (msg instanceof LastHttpContent) {
            if (interim) {
                interim = false;
                ctx.flush(); // 100 Continue: the client waits for it before sending the body
            } else {
                responseComplete = true;
                maybeEnd();
            }
        }
    }

    private void prepareResponse(HttpResponse response, int code) {
        HttpHeaders headers = response.headers();
        closeDelimited = !upstream.multiplexed() && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)
                && !HttpUtil.isTransferEncodingChunked(response) && !headRequest && code != 204 && code != 304 && !interim;
        if (!upstream.multiplexed() && (!HttpUtil.isKeepAlive(response) || closeDelimited)) {
            upstreamReusable = false; // the server closes, or delimits the body by closing
        }
        HopByHop.strip(headers, false, upstream.multiplexed());
        if (interim) {
            return;
        }
        status = code;
        responseStarted = true;
        dropReplay();
        route.responseHeaders().apply(headers);
        destination.responseHeaders().apply(headers);
        if (responseCookie != null) {
            headers.add(HttpHeaderNames.SET_COOKIE, responseCookie);
        }
        if (!http2) {
            boolean bodylessResponse = headRequest || code == 204 || code == 304;
            if (clientVersion == HttpVersion.HTTP_1_0 && !bodylessResponse && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                HttpUtil.setTransferEncodingChunked(response, false); // HTTP/1.0 has no chunks: close instead
                keepAlive = false;
            } else {
                Framing.responseForHttp1(response, bodylessResponse);
            }
            if (!keepAlive || downstream.closing()) {
                keepAlive = false;
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (clientVersion == HttpVersion.HTTP_1_0) {
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (done) {
            return;
        }
        Lease closed = upstream;
        upstream = null;
        upstreamReusable = false;
        if (closeDelimitedEnd != null) {
            LastHttpContent last = closeDelimitedEnd;
            closeDelimitedEnd = null;
            if (cause == null) {
                ctx.write(last, ctx.voidPromise()); // a clean close: the end of the body
                responseComplete = true;
                maybeEnd();
            } else {
                last.release();
                abort(); // a reset, which cut the body short
            }
            return;
        }
        if (responseStarted) {
            abort(); // the client cannot get a complete response now
        } else if (cause instanceof UnprocessedRequestException && !responseWritten) {
            retryUnprocessed(cause);
        } else if (closed != null && closed.reused() && bodyless && requestComplete && !retried) {
            // A pooled connection the server had already closed: nothing was processed, try anew.
            retried = true;
            lease(true);
        } else {
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream connection closed before the response"
                    + (cause != null ? ": " + describe(cause) : "") + " (endpoint " + endpoint + ")");
        }
    }

    /** The upstream did not process the request: send it again, to an endpoint picked anew, if it can be. */
    private void retryUnprocessed(Throwable cause) {
        String notAgain = unprocessedRetries >= MAX_UNPROCESSED_RETRIES
                ? "sent " + (unprocessedRetries + 1) + " times"
                : !bodyless && !replayable ? "its body is no longer held (over " + REPLAY_LIMIT + " bytes)" : null;
        Endpoint next = notAgain == null ? destination.cluster().balancer().pick(this) : null;
        if (next == null) {
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream did not process the request: " + describe(cause)
                    + " (endpoint " + endpoint + "); not sent again: "
                    + (notAgain != null ? notAgain : "no healthy upstream for " + destination.cluster().name()));
            return;
        }
        unprocessedRetries++;
        if (next != endpoint) {
            endpoint.requestEnded();
            endpoint = next;
            next.requestStarted();
        }
        lease(true);
    }

    void onDownstreamClosed() {
        if (!done) {
            abort();
        }
    }

    /** Answers from the proxy itself, when there is nobody upstream to answer. */
    private void respondLocally(HttpResponseStatus code, String message) {
        if (responseStarted) {
            abort();
            return;
        }
        status = code.code();
        responseStarted = true;
        responseComplete = true;
        discardBody = true;
        cancelOpening();
        releaseWaiting();
        dropReplay();
        ByteBuf body = Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8);
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, code, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (!http2 && (!keepAlive || downstream.closing() || (!requestComplete && !bodyless))) {
            // Rather than read a body nobody wants, close once the answer is out.
            keepAlive = false;
            requestComplete = true;
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(response, ctx.voidPromise());
        maybeEnd();
    }

    private void rejectMalformed(Throwable cause) {
        HttpResponseStatus code = cause instanceof TooLongHttpHeaderException
                ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : cause instanceof TooLongHttpLineException
                        ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                        : HttpResponseStatus.BAD_REQUEST;
        keepAlive = false; // the decoder cannot find the next request in what follows
        respondLocally(code, (cause instanceof TooLongFrameException ? "request too large: " : "malformed request: ")
                + describe(cause));
    }

    private void maybeEnd() {
        if (done || !responseComplete) {
            return;
        }
        if (!requestComplete) {
            if (!discardBody) {
                // The server answered before the body was sent: read the rest and drop it. The
                // response is whole: flush it now, as the upstream read that would have is gone
                // (a gRPC server may end a call whose client still streams, which waits for it).
                discardBody = true;
                upstreamReusable = false;
                releaseWaiting();
                closeUpstream();
                ctx.flush();
                downstream.resume(HttpProxyHandler.WAIT_UPSTREAM);
            }
            return;
        }
        done = true;
        dropReplay();
        record();
        ctx.flush(); // the upstream is released below, and with it the flush at its read's end
        if (upstream != null) {
            if (upstreamReusable && !upstream.multiplexed()) {
                downstream.listener().pools().release(upstream);
            } else {
                closeUpstream();
            }
            upstream = null;
        }
        downstream.exchangeEnded(keepAlive);
    }

    /** Ends the exchange at once, closing both sides (an HTTP/2 stream is reset). */
    private void abort() {
        done = true;
        cancelOpening();
        releaseWaiting();
        dropReplay();
        if (closeDelimitedEnd != null) {
            closeDelimitedEnd.release();
            closeDelimitedEnd = null;
        }
        record();
        closeUpstream();
        ctx.close();
    }

    private void record() {
        if (endpoint != null) {
            endpoint.requestEnded();
        }
        RequestStats stats = destination != null ? destination.stats() : downstream.listener().config().unrouted();
        stats.record(status, System.nanoTime() - startNanos);
    }

    private void closeUpstream() {
        if (upstream != null) {
            upstream.handler().unbind();
            upstream.channel().close();
            upstream = null;
        }
    }

    private void releaseWaiting() {
        if (waiting != null) {
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
        }
    }

    /**
     * The upstream accepted a WebSocket upgrade: pass the 101 on, then splice the two connections
     * together as a byte tunnel, without HTTP codecs on either side.
     */
    private void becomeTunnel(HttpResponse response) {
        status = 101;
        responseStarted = true;
        HopByHop.strip(response.headers(), true, false);
        route.responseHeaders().apply(response.headers());
        destination.responseHeaders().apply(response.headers());
        ctx.writeAndFlush(response, ctx.voidPromise());
        done = true;
        record();
        downstream.exchangeBecameTunnel();

        Channel client = ctx.channel();
        Channel server = upstream.channel();
        upstream.handler().unbind();
        ChannelPipeline down = client.pipeline();
        ChannelPipeline up = server.pipeline();
        down.addLast(new RelayHandler(server));
        up.addLast(new RelayHandler(client));
        down.remove(downstream);
        if (down.get(HttpServerUpgradeHandler.class) != null) {
            down.remove(HttpServerUpgradeHandler.class);
        }
        down.remove(HttpServerCodec.class);
        up.remove(upstream.handler());
        up.remove(HttpClientCodec.class);
        client.config().setAutoRead(true);
        server.config().setAutoRead(true);
        upstream = null;
    }

    private static boolean isWebSocketUpgrade(HttpHeaders headers) {
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message != null ? message : cause.getClass().getSimpleName();
    }

    // PickContext and HashPolicy.Request: what consistent hashing may read of this request.

    @Override
    public String hashKey() {
        return route.hashPolicy().key(this);
    }

    @Override
    public String header(String name) {
        return request.headers().get(name);
    }

    @Override
    public String cookie(String name) {
        String header = request.headers().get(HttpHeaderNames.COOKIE);
        if (header == null) {
            return null;
        }
        for (io.netty.handler.codec.http.cookie.Cookie cookie : ServerCookieDecoder.LAX.decode(header)) {
            if (cookie.name().equals(name)) {
                return cookie.value();
            }
        }
        return null;
    }

    @Override
    public String sourceIp() {
        return downstream.clientIp();
    }

    @Override
    public void setResponseCookie(String name, String value, String path, Duration ttl) {
        DefaultCookie cookie = new DefaultCookie(name, value);
        cookie.setPath(path);
        if (!ttl.isZero()) {
            cookie.setMaxAge(ttl.toSeconds()); // zero: a session cookie
        }
        cookie.setHttpOnly(true);
        responseCookie = ServerCookieEncoder.STRICT.encode(cookie);
    }
}

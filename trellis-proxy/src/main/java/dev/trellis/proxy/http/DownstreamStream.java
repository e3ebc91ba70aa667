package dev.trellis.proxy.http;

import dev.trellis.proxy.telemetry.ResponseFlag;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.http.codec.MalformedHttpException;
import dev.trellis.proxy.http.filter.FilterCallbacks;
import dev.trellis.proxy.http.filter.FilterChain;
import dev.trellis.proxy.http.router.Downstream;
import dev.trellis.proxy.http.router.Router;
import dev.trellis.proxy.listener.ListenerContext;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.telemetry.RequestStats;
import dev.trellis.proxy.upstream.Lease;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

/**
 * The client's side of one request: its framing and keep-alive, the filter chain it runs, local
 * replies, the WebSocket tunnel, its stream idle timeout, and the {@link RequestRecord} telemetry
 * reads. Hands the request to a {@link Router} once the filters let it through. Runs on the event
 * loop of the downstream channel, which is also the loop of its upstream connections.
 */
final class DownstreamStream implements Downstream, FilterCallbacks {
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private final StreamCarrier carrier;
    private final boolean http2;
    private final ListenerContext listener;
    private final ListenerConfig config;
    private final FilterChain filters;
    private final RequestRecord record = new RequestRecord(System.nanoTime());
    private HttpRequest request;
    /** The client's HTTP version; the request goes upstream as HTTP/1.1 whatever it was. */
    private HttpVersion clientVersion;
    private boolean keepAlive;
    private boolean bodyless;
    private boolean headRequest;
    private boolean webSocket;
    private boolean grpc;
    private Route route;
    private Router router;
    /** The filter that stopped the chain, to resume after. */
    private int filterIndex;
    private boolean requestComplete;
    private boolean responseStarted;
    private boolean responseComplete;
    private boolean discardBody;
    private boolean readingPaused;
    private boolean done;
    private long idleNanos;

    DownstreamStream(StreamCarrier carrier, HttpRequest request) {
        this.carrier = carrier;
        this.http2 = carrier.http2();
        this.listener = carrier.listener();
        ListenerContext.Current current = listener.current();
        this.config = current.config();
        this.filters = current.filters();
        this.request = request;
    }

    boolean requestComplete() {
        return requestComplete;
    }

    void start() {
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            ReferenceCountUtil.release(request);
            request = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(), request.headers());
            rejectMalformed(decoded.cause());
            return;
        }
        clientVersion = request.protocolVersion();
        keepAlive = http2 || HttpUtil.isKeepAlive(request);
        headRequest = HttpMethod.HEAD.equals(request.method());
        webSocket = !http2 && config.webSocket() && isWebSocketUpgrade(request.headers());
        grpc = http2 && LocalReply.isGrpc(request.headers());
        HttpContent firstBody = null;
        if (request instanceof FullHttpRequest full) {
            // Head and body apart, so the body can be held for a retry like any other.
            requestComplete = true;
            firstBody = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            request = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
            bodyless = !firstBody.content().isReadable();
        } else {
            bodyless = !http2 && !HttpUtil.isTransferEncodingChunked(request) && HttpUtil.getContentLength(request, 0L) == 0;
        }
        startIdleTimer();
        prepareRequest();
        route = config.routes().match(request);
        if (route == null) {
            if (firstBody != null) {
                firstBody.release();
            }
            respond(HttpResponseStatus.NOT_FOUND, -1, "no route matched " + request.method() + " "
                    + request.headers().get(HttpHeaderNames.HOST, "") + request.uri() + " on listener " + config.name(),
                    ResponseFlag.NO_ROUTE);
            return;
        }
        router = new Router(this, route, listener);
        if (firstBody != null) {
            router.onRequestBody(firstBody);
        }
        runFilters(0);
    }

    /** What the connection manager does to every request before routing: Envoy's HCM headers. */
    private void prepareRequest() {
        HttpHeaders headers = request.headers();
        HopByHop.strip(headers, webSocket, false); // an HTTP/2 request's head is Http2Requests', with no Netty names
        if (!headers.contains(X_REQUEST_ID)) {
            headers.set(X_REQUEST_ID, RequestIds.next());
        }
        String client = carrier.clientIp();
        if (client != null) {
            String forwarded = headers.get(X_FORWARDED_FOR);
            headers.set(X_FORWARDED_FOR, forwarded == null ? client : forwarded + ", " + client);
        }
        if (!headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, HTTP);
        }
    }

    private void runFilters(int from) {
        filterIndex = filters.run(from, this);
        if (filterIndex == filters.size() && !done && !responseStarted) {
            // The router's clock starts after the filters: when they let the request straight
            // through, at its arrival, which spares a clock read.
            router.start(from == 0 ? record.startNanos() : System.nanoTime());
        }
    }

    void requestContent(HttpContent content) {
        touch();
        if (content.decoderResult().isFailure()) {
            content.release(); // a broken body (a bad chunk): the upstream must not take it as whole
            if (responseStarted) {
                reset(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
            } else {
                if (router != null) {
                    router.requestBodyUnwanted();
                }
                rejectMalformed(content.decoderResult().cause());
            }
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (discardBody || done || router == null) {
            content.release();
        } else {
            router.onRequestBody(content);
        }
        if (last) {
            maybeEnd();
        }
    }

    void flushUpstream() {
        if (router != null) {
            router.flushUpstream();
        }
    }

    void onDownstreamWritable() {
        if (router != null) {
            router.onDownstreamWritable();
        }
    }

    void onDownstreamClosed() {
        if (!done) {
            record.flag(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
            abort();
        }
    }

    // Downstream: what the router sees.

    @Override
    public HttpRequest request() {
        return request;
    }

    @Override
    public EventLoop eventLoop() {
        return carrier.eventLoop();
    }

    @Override
    public boolean grpc() {
        return grpc;
    }

    @Override
    public boolean webSocket() {
        return webSocket;
    }

    @Override
    public boolean http2() {
        return http2;
    }

    @Override
    public RequestRecord record() {
        return record;
    }

    @Override
    public String clientIp() {
        return carrier.clientIp();
    }

    @Override
    public void pauseReading() {
        if (!readingPaused) {
            readingPaused = true;
            carrier.pauseReading();
        }
    }

    @Override
    public void resumeReading() {
        if (readingPaused) {
            readingPaused = false;
            carrier.resumeReading();
        }
    }

    @Override
    public boolean writable() {
        return carrier.writable();
    }

    @Override
    public boolean responseStarted() {
        return responseStarted;
    }

    @Override
    public void sendInterim(HttpObject part) {
        touch();
        responseStarted = true; // a 1xx reached the client: nothing is retried now
        carrier.write(part);
        if (part instanceof LastHttpContent) {
            carrier.flush(); // 100 Continue: the client waits for it before sending the body
        }
    }

    @Override
    public void sendHead(HttpResponse response) {
        touch();
        int code = response.status().code();
        record.status(code);
        responseStarted = true;
        if (!http2) {
            HttpHeaders headers = response.headers();
            boolean bodylessResponse = headRequest || code == 204 || code == 304;
            if (clientVersion == HttpVersion.HTTP_1_0 && !bodylessResponse && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                HttpUtil.setTransferEncodingChunked(response, false); // HTTP/1.0 has no chunks: close instead
                keepAlive = false;
            } else {
                Framing.responseForHttp1(response, bodylessResponse);
            }
            if (!keepAlive || carrier.closing()) {
                keepAlive = false;
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (clientVersion == HttpVersion.HTTP_1_0) {
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
        carrier.write(response);
        if (response instanceof LastHttpContent) {
            responseComplete = true;
            maybeEnd();
        }
    }

    @Override
    public void sendBody(HttpContent content) {
        touch();
        carrier.write(content);
        if (content instanceof LastHttpContent && !done) {
            responseComplete = true;
            maybeEnd();
        }
    }

    @Override
    public void flush() {
        carrier.flush();
    }

    @Override
    public void respond(HttpResponseStatus status, int grpcStatus, String message, ResponseFlag flag) {
        if (flag != null) {
            record.flag(flag);
        }
        if (responseStarted) {
            reset(flag);
            return;
        }
        record.status(grpc ? HttpResponseStatus.OK.code() : status.code());
        responseStarted = true;
        responseComplete = true;
        discardBody = true;
        if (router != null) {
            router.end();
        }
        FullHttpResponse response = LocalReply.of(status, grpcStatus, message, grpc);
        if (!http2 && (!keepAlive || carrier.closing() || (!requestComplete && !bodyless))) {
            // Rather than read a body nobody wants, close once the answer is out.
            keepAlive = false;
            requestComplete = true;
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        carrier.write(response);
        carrier.flush();
        maybeEnd();
    }

    @Override
    public void reset(ResponseFlag flag) {
        if (flag != null) {
            record.flag(flag);
        }
        if (!done) {
            abort();
        }
    }

    @Override
    public void tunnel(HttpResponse response, Lease upstream) {
        record.status(101);
        responseStarted = true;
        done = true;
        recordStats();
        carrier.tunnel(response, upstream);
    }

    // FilterCallbacks: what the filters see.

    @Override
    public Route route() {
        return route;
    }

    @Override
    public EventExecutor executor() {
        return carrier.eventLoop();
    }

    @Override
    public void flag(ResponseFlag flag) {
        record.flag(flag);
    }

    @Override
    public void resume() {
        if (!done && !responseStarted) {
            runFilters(filterIndex + 1);
        }
    }

    @Override
    public boolean ended() {
        return done || responseStarted;
    }

    // Ends.

    private void rejectMalformed(Throwable cause) {
        HttpResponseStatus code = cause instanceof MalformedHttpException malformed
                ? malformed.status() : HttpResponseStatus.BAD_REQUEST;
        keepAlive = false; // the decoder cannot find the next request in what follows
        grpc = false;
        boolean tooLarge = code == HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE || code == HttpResponseStatus.REQUEST_URI_TOO_LONG;
        respond(code, -1, (tooLarge ? "request too large: " : "malformed request: ") + LocalReply.describe(cause), null);
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
                if (router != null) {
                    router.requestBodyUnwanted();
                }
                carrier.flush();
                resumeReading();
            }
            return;
        }
        done = true;
        recordStats();
        carrier.flush();
        if (router != null) {
            router.end();
        }
        resumeReading();
        carrier.streamEnded(keepAlive);
    }

    /** Ends the request at once, closing both sides (an HTTP/2 stream is reset). */
    private void abort() {
        done = true;
        if (router != null) {
            router.end();
        }
        recordStats();
        carrier.reset();
    }

    private void recordStats() {
        RequestStats stats = route != null && router != null && router.destination() != null
                ? router.destination().stats()
                : config.unrouted();
        stats.record(record.status(), record.flags(), System.nanoTime() - record.startNanos());
    }

    // The stream idle timeout: the carrier's timer reads our activity.

    private void startIdleTimer() {
        idleNanos = config.http().streamIdleTimeout().toNanos();
        if (idleNanos > 0) {
            carrier.startIdleTimer(idleNanos);
        }
    }

    private void touch() {
        if (idleNanos > 0) {
            carrier.touch();
        }
    }

    /** Nothing moved either way for the stream idle timeout: Envoy's 408, or a reset once a response began. */
    void idleTimedOut() {
        if (done) {
            return;
        }
        if (responseStarted) {
            reset(ResponseFlag.STREAM_IDLE_TIMEOUT);
        } else {
            respond(HttpResponseStatus.REQUEST_TIMEOUT, -1, "stream timeout", ResponseFlag.STREAM_IDLE_TIMEOUT);
        }
    }

    private static boolean isWebSocketUpgrade(HttpHeaders headers) {
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }
}

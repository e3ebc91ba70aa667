package dev.trellis.proxy.http.router;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.balance.PickContext;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.http.Framing;
import dev.trellis.proxy.http.HopByHop;
import dev.trellis.proxy.http.LocalReply;
import dev.trellis.proxy.telemetry.ResponseFlag;
import dev.trellis.proxy.listener.ListenerContext;
import dev.trellis.proxy.resilience.CircuitBreaker;
import dev.trellis.proxy.resilience.Permit;
import dev.trellis.proxy.resilience.RetryBudget;
import dev.trellis.proxy.route.HashPolicy;
import dev.trellis.proxy.route.Mirror;
import dev.trellis.proxy.route.Percent;
import dev.trellis.proxy.route.RequestPolicy;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.route.WeightedCluster;
import dev.trellis.proxy.upstream.Lease;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The last step of a request's filter chain: sends it to its route's cluster and carries the
 * answer back. Owns the request's deadline ({@code min(route timeout, grpc-timeout)}), its retry
 * state, the replay buffer of its body, its mirrors, and the current {@link Attempt}; decides
 * whether an attempt's outcome is returned or retried. A retry goes to another endpoint when the
 * policy says so, after a jittered back-off, with the body replayed; nothing is retried once
 * response bytes reached the client, or once the body outgrew the replay buffer.
 */
public final class Router implements PickContext, HashPolicy.Request {
    private static final AsciiString X_ATTEMPT_COUNT = AsciiString.cached("x-envoy-attempt-count");
    private static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
    /** The attempt-count header's first values, made once. */
    private static final AsciiString[] ATTEMPT_COUNTS = java.util.stream.IntStream.range(0, 11)
            .mapToObj(i -> AsciiString.cached(Integer.toString(i))).toArray(AsciiString[]::new);
    /** Times a request an upstream did not process (refused stream, above a GOAWAY) is sent again, whatever the policy. */
    static final int MAX_UNPROCESSED_RETRIES = 3;

    private final Downstream stream;
    private final Route route;
    private final ListenerContext listener;
    private final RequestPolicy policy;
    /** Made when the request is first tried again: most are not. */
    private RetryState retries;
    private Endpoint firstEndpoint;
    private int firstTier;
    private final RequestBody body = new RequestBody();
    private final HttpRequest head;
    private final boolean headRequest;
    private WeightedCluster destination;
    private Cluster cluster;
    private Attempt attempt;
    private long deadlineNanos;
    private ScheduledFuture<?> deadlineTimer;
    private ScheduledFuture<?> backoffTimer;
    /** The permit the retry waiting in {@link #backoffTimer} holds. */
    private Permit backoffPermit;
    private List<Mirror> mirrors;
    private int unprocessedRetries;
    private boolean staleRetried;
    private boolean started;
    private boolean done;
    private String responseCookie;

    public Router(Downstream stream, Route route, ListenerContext listener) {
        this.stream = stream;
        this.route = route;
        this.listener = listener;
        this.policy = route.policy();
        this.head = stream.request();
        this.headRequest = HttpMethod.HEAD.equals(head.method());
    }

    /** A piece of the request body, in order; held until an attempt can send it. */
    public void onRequestBody(HttpContent content) {
        if (done) {
            content.release();
            return;
        }
        body.add(content);
        if (attempt != null) {
            attempt.bodyArrived();
        }
        if (started && body.complete()) {
            sendMirrors();
        }
    }

    /**
     * The filters let the request through: route it.
     *
     * @param now the time on {@link System#nanoTime()}'s clock
     */
    public void start(long now) {
        started = true;
        destination = route.pickCluster();
        cluster = destination.cluster();
        if (cluster == null) {
            stream.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, -1, "cluster " + destination.name() + " not found (route "
                    + route.name() + ")", ResponseFlag.NO_CLUSTER_FOUND);
            return;
        }
        RetryBudget budget = cluster.retryBudget();
        if (budget != null) {
            budget.requestStarted(now);
        }
        prepareRequest();
        if (!startDeadline(now)) {
            return;
        }
        chooseMirrors();
        if (body.complete()) {
            sendMirrors();
        }
        newAttempt(false, null);
    }

    private void prepareRequest() {
        HttpHeaders headers = head.headers();
        if (stream.http2() && !cluster.http2()) {
            if (!body.complete()) {
                Framing.requestFromHttp2(head); // still streaming: chunked
            } else if (body.hasBytes() && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                HttpUtil.setContentLength(head, body.bytes());
            }
        }
        route.requestHeaders().apply(headers);
        destination.requestHeaders().apply(headers);
        if (route.pathRewrite() != null) {
            head.setUri(route.pathRewrite().apply(head.uri()));
        }
        if (route.authorityRewrite() != null) {
            headers.set(HttpHeaderNames.HOST, route.authorityRewrite());
        }
        if (head.protocolVersion() != HttpVersion.HTTP_1_1) {
            head.setProtocolVersion(HttpVersion.HTTP_1_1); // upstream connections stay open
        }
    }

    /**
     * Sets the deadline: the route's timeout from now (as in Envoy, the router's clock starts
     * after the filters, so a fault delay does not count), and the caller's grpc-timeout from when
     * the request arrived, whichever ends first. False if it has passed already.
     */
    private boolean startDeadline(long now) {
        long timeout = policy.timeout().toNanos();
        long deadline = timeout > 0 ? now + timeout : 0;
        if (policy.grpcTimeoutMax() != null && stream.grpc()) {
            long asked = GrpcTimeout.parse(head.headers().get(GRPC_TIMEOUT));
            if (asked >= 0) {
                long max = policy.grpcTimeoutMax().toNanos();
                long grpcDeadline = stream.record().startNanos() + (max > 0 ? Math.min(asked, max) : asked);
                deadline = deadline == 0 ? grpcDeadline : Math.min(deadline, grpcDeadline);
            }
        }
        if (deadline == 0) {
            return true;
        }
        deadlineNanos = deadline;
        long left = deadlineNanos - now;
        if (left <= 0) {
            onDeadline();
            return false;
        }
        deadlineTimer = stream.eventLoop().schedule(this::onDeadline, left, TimeUnit.NANOSECONDS);
        return true;
    }

    /**
     * Starts a try on an endpoint picked anew, which avoids those tried when the policy asks it.
     *
     * @param retryPermit the budget's or breaker's permit a retry holds, or null
     */
    private void newAttempt(boolean fresh, Permit retryPermit) {
        Endpoint endpoint = pick(fresh);
        if (endpoint == null) {
            if (retryPermit != null) {
                retryPermit.release();
            }
            stream.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, -1, "no healthy upstream for " + cluster.name(),
                    ResponseFlag.NO_HEALTHY_UPSTREAM);
            return;
        }
        int tier = tier(endpoint);
        if (tier > 0 && !fresh) { // a try again on a new connection is no new pick
            cluster.stats().failover();
        }
        if (firstEndpoint == null) {
            firstEndpoint = endpoint;
            firstTier = tier;
        } else {
            retries().tried(endpoint, tier);
        }
        stream.record().attemptStarted();
        HttpHeaders headers = head.headers();
        int attempts = stream.record().attempts();
        headers.set(X_ATTEMPT_COUNT, attempts < ATTEMPT_COUNTS.length ? ATTEMPT_COUNTS[attempts] : Integer.toString(attempts));
        if (deadlineNanos != 0 && headers.contains(GRPC_TIMEOUT)) {
            headers.set(GRPC_TIMEOUT, GrpcTimeout.format(Math.max(1, deadlineNanos - System.nanoTime())));
        }
        long perTry = policy.retry().perTryTimeout().toNanos();
        if (deadlineNanos != 0 && perTry > 0) {
            perTry = Math.min(perTry, Math.max(1, deadlineNanos - System.nanoTime()));
        }
        attempt = new Attempt(this, cluster, endpoint, listener.pools(), retryPermit);
        attempt.start(fresh || stream.webSocket(), perTry);
    }

    /** @param same the try before failed on a stale pooled connection: the same endpoint, on a new one */
    private Endpoint pick(boolean same) {
        if (same && attempt != null) {
            return attempt.endpoint();
        }
        Endpoint picked = cluster.balancer().pick(this);
        int tries = policy.retry().hostSelectionMaxAttempts();
        if (retries == null) {
            return picked; // a first try: nothing to avoid
        }
        for (int i = 1; picked != null && i < tries && (retries.avoid(picked) || retries.avoidTier(tier(picked))); i++) {
            picked = cluster.balancer().pick(this);
        }
        if (picked != null && retries.avoid(picked)) {
            picked = untried(picked); // the balancer kept choosing tried hosts: any other will do
        }
        return picked;
    }

    /** The request's retry state, made with its first try's host when it is first needed. */
    private RetryState retries() {
        if (retries == null) {
            retries = new RetryState(policy.retry());
            if (firstEndpoint != null) {
                retries.tried(firstEndpoint, firstTier);
            }
        }
        return retries;
    }

    /** An endpoint of the cluster not tried yet and not ejected, from a random start; else {@code fallback}. */
    private Endpoint untried(Endpoint fallback) {
        List<Endpoint> all = cluster.endpoints();
        int start = java.util.concurrent.ThreadLocalRandom.current().nextInt(Math.max(1, all.size()));
        for (int i = 0; i < all.size(); i++) {
            Endpoint candidate = all.get((start + i) % all.size());
            if (!retries.avoid(candidate) && (cluster.outlier() == null || !cluster.outlier().isEjected(candidate))) {
                return candidate;
            }
        }
        return fallback;
    }

    /** The locality tier of {@code endpoint} for this proxy: 0 unless the cluster has several. */
    private int tier(Endpoint endpoint) {
        return cluster.balancer().tiers().tiers().size() > 1 ? cluster.tierOf(endpoint) : 0;
    }

    // What an attempt reports.

    void onResponseHead(Attempt from, HttpResponse response) {
        if (from != attempt) {
            release(response);
            return;
        }
        int status = response.status().code();
        if (RetryState.retriable(policy.retry(), status, response.headers())) {
            if (retry(from, ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED)) {
                release(response);
                return;
            }
        }
        if (retries != null && retries.retried() && status < 500) {
            cluster.stats().retrySucceeded();
        }
        body.stopHolding(); // the response has begun: no more tries
        HttpHeaders headers = response.headers();
        route.responseHeaders().apply(headers);
        destination.responseHeaders().apply(headers);
        if (responseCookie != null) {
            headers.add(HttpHeaderNames.SET_COOKIE, responseCookie);
        }
        if (response instanceof LastHttpContent) {
            from.finish(body.complete()); // a whole response in one (gRPC's trailers-only, over HTTP/2)
        }
        stream.sendHead(response);
    }

    void onInterim(HttpObject part) {
        body.stopHolding(); // a 1xx reached the client: no more tries
        stream.sendInterim(part);
    }

    void onBody(Attempt from, HttpContent content) {
        if (from != attempt || done) {
            content.release();
            return;
        }
        if (content instanceof LastHttpContent) {
            from.finish(body.complete());
        }
        stream.sendBody(content);
    }

    void onUpgrade(Attempt from, HttpResponse response) {
        HopByHop.strip(response.headers(), true, false);
        route.responseHeaders().apply(response.headers());
        destination.responseHeaders().apply(response.headers());
        done = true;
        cancelTimers();
        body.release();
        stream.tunnel(response, from.handOver());
    }

    /** A try ended without a whole response head. */
    void onFailure(Attempt from, Failure failure, Throwable cause, boolean stale) {
        if (from != attempt || done) {
            return;
        }
        if (stream.responseStarted()) {
            stream.reset(failure.flag);
            return;
        }
        if (stale && !staleRetried && body.replayable() && body.complete() && !body.hasBytes()) {
            staleRetried = true; // a pooled connection the server had closed: nothing was processed, try anew
            body.rewind();
            newAttempt(true, null);
            return;
        }
        if (failure == Failure.REFUSED_STREAM && unprocessedRetries < MAX_UNPROCESSED_RETRIES && body.replayable()) {
            unprocessedRetries++; // never processed: safe to send again, whatever the policy
            body.rewind();
            newAttempt(false, null);
            return;
        }
        if (RetryState.retriable(policy.retry(), failure) && retry(from, failure.flag)) {
            return;
        }
        String detail = cause != null ? ": " + LocalReply.describe(cause) : "";
        switch (failure) {
            case PER_TRY_TIMEOUT -> stream.respond(HttpResponseStatus.GATEWAY_TIMEOUT, -1, "upstream request timeout (per-try timeout "
                    + policy.retry().perTryTimeout().toMillis() + " ms, endpoint " + from.endpoint() + ")", failure.flag);
            case CONNECT_FAILURE -> stream.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, -1, "upstream connect error" + detail
                    + " (endpoint " + from.endpoint() + ", cluster " + cluster.name() + ")", failure.flag);
            case REFUSED_STREAM -> stream.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, -1, "upstream did not process the request"
                    + detail + " (endpoint " + from.endpoint() + "); not sent again: " + (body.replayable()
                            ? "sent " + (unprocessedRetries + 1) + " times"
                            : "its body is no longer held (over " + RequestBody.REPLAY_LIMIT + " bytes)"), failure.flag);
            case RESET -> stream.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, -1, "upstream connection closed before the response"
                    + detail + " (endpoint " + from.endpoint() + ")", failure.flag);
        }
    }

    /** A circuit breaker limit stopped the try: 503 at once, as Envoy answers an overflow. */
    void onOverflow(Attempt from, String why) {
        if (from != attempt || done) {
            return;
        }
        stream.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, -1, "upstream overflow: " + why + " (cluster " + cluster.name() + ")",
                ResponseFlag.UPSTREAM_OVERFLOW);
    }

    void onMalformedResponse(Attempt from, String why) {
        if (from == attempt && !done) {
            stream.respond(HttpResponseStatus.BAD_GATEWAY, -1, "upstream sent a malformed response: " + why + " (endpoint "
                    + from.endpoint() + ")", ResponseFlag.UPSTREAM_REMOTE_RESET);
        }
    }

    /** The response began and cannot be completed. */
    void onResponseBroken(Attempt from) {
        if (from == attempt && !done) {
            stream.reset(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
        }
    }

    /**
     * Tries again if the policy, the replay buffer, the deadline and the budget allow; else notes
     * why not. The attempt that failed is abandoned either way by its caller or here.
     */
    private boolean retry(Attempt failed, ResponseFlag exhausted) {
        if (!policy.retry().retries() || stream.responseStarted()) {
            return false;
        }
        RetryState retries = retries();
        if (!retries.anyLeft()) {
            cluster.stats().retryLimitExceeded();
            stream.record().flag(exhausted == ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED ? exhausted : ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
            return false;
        }
        if (!body.replayable()) {
            return false;
        }
        long now = System.nanoTime();
        long backoff = retries.backoffNanos();
        if (deadlineNanos != 0 && now + backoff >= deadlineNanos) {
            return false;
        }
        Permit permit = retryPermit(now);
        if (permit == null) {
            cluster.stats().retryOverflow();
            stream.record().flag(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
            return false;
        }
        retries.use();
        cluster.stats().retry();
        failed.abandon();
        body.rewind();
        stream.pauseReading();
        backoffPermit = permit;
        backoffTimer = stream.eventLoop().schedule(() -> {
            backoffTimer = null;
            backoffPermit = null;
            if (!done) {
                stream.resumeReading();
                newAttempt(false, permit);
            } else {
                permit.release();
            }
        }, backoff, TimeUnit.NANOSECONDS);
        return true;
    }

    /** Room for one retry: in the cluster's retry budget if it has one, else under the breaker's {@code maxRetries}. */
    private Permit retryPermit(long now) {
        RetryBudget budget = cluster.retryBudget();
        CircuitBreaker breaker = cluster.breaker();
        Permit permit = budget != null
                ? budget.tryStartRetry(breaker.active(CircuitBreaker.Resource.REQUESTS)
                        + breaker.active(CircuitBreaker.Resource.PENDING_REQUESTS), now)
                : breaker.tryAcquire(CircuitBreaker.Resource.RETRIES);
        return permit.granted() ? permit : null;
    }

    private void onDeadline() {
        deadlineTimer = null;
        if (done) {
            return;
        }
        if (cluster != null) {
            cluster.stats().timeout();
        }
        if (attempt != null) {
            attempt.timedOut();
        }
        if (stream.responseStarted()) {
            stream.reset(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
        } else {
            stream.respond(HttpResponseStatus.GATEWAY_TIMEOUT, -1, "upstream request timeout", ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
        }
    }

    // Mirrors.

    private void chooseMirrors() {
        for (Mirror mirror : policy.mirrors()) {
            if (Percent.draw(mirror.percent())) {
                (mirrors == null ? mirrors = new ArrayList<>(1) : mirrors).add(mirror);
            }
        }
    }

    /** Once the whole body is held: a copy to each mirror chosen, unless the body outgrew the replay buffer. */
    private void sendMirrors() {
        if (mirrors == null) {
            return;
        }
        List<Mirror> chosen = mirrors;
        mirrors = null;
        if (!body.replayable()) {
            return;
        }
        for (Mirror mirror : chosen) {
            Cluster target = listener.cluster(mirror.cluster());
            if (target != null) {
                MirrorCall.send(stream.eventLoop(), listener.pools(), target, head, body.copy());
            }
        }
    }

    // The stream's calls.

    /** The cluster and weight the route chose, or null before the router started. */
    public WeightedCluster destination() {
        return destination;
    }

    HttpRequest head() {
        return head;
    }

    RequestBody body() {
        return body;
    }

    EventLoop eventLoop() {
        return stream.eventLoop();
    }

    boolean webSocket() {
        return stream.webSocket();
    }

    boolean headRequest() {
        return headRequest;
    }

    boolean downstreamWritable() {
        return stream.writable();
    }

    void flushDownstream() {
        stream.flush();
    }

    /** Reading the request body waits while the upstream connects or cannot take more. */
    void waitingForUpstream(boolean waiting) {
        if (waiting) {
            stream.pauseReading();
        } else {
            stream.resumeReading();
        }
    }

    public void flushUpstream() {
        if (attempt != null) {
            attempt.flush();
        }
    }

    public void onDownstreamWritable() {
        if (attempt != null) {
            attempt.downstreamWritable();
        }
    }

    /**
     * The response was answered before the request body was all read (by the upstream, or
     * locally): the connection carrying the rest cannot serve another request.
     */
    public void requestBodyUnwanted() {
        if (attempt != null) {
            attempt.abandon();
        }
        body.release();
    }

    /** The request is over, whichever way: every timer, attempt and held piece is let go. */
    public void end() {
        if (done) {
            body.release();
            return;
        }
        done = true;
        cancelTimers();
        if (attempt != null) {
            attempt.abandon();
        }
        body.release();
    }

    private void cancelTimers() {
        if (deadlineTimer != null) {
            deadlineTimer.cancel(false);
            deadlineTimer = null;
        }
        if (backoffTimer != null) {
            backoffTimer.cancel(false);
            backoffTimer = null;
            backoffPermit.release(); // the retry it was waiting to make will not be made
            backoffPermit = null;
        }
    }

    private static void release(HttpResponse response) {
        io.netty.util.ReferenceCountUtil.release(response);
    }

    // PickContext and HashPolicy.Request: what consistent hashing may read of this request.

    @Override
    public String hashKey() {
        return route.hashPolicy().key(this);
    }

    @Override
    public String header(String name) {
        return head.headers().get(name);
    }

    @Override
    public String cookie(String name) {
        String header = head.headers().get(HttpHeaderNames.COOKIE);
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
        return stream.clientIp();
    }

    @Override
    public String queryParameter(String name) {
        return HashPolicy.queryParameter(head.uri(), name);
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

package dev.trellis.testing;

import io.netty.channel.ChannelHandler;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A sample backend that answers every HTTP request with a description of it, so tests and
 * {@code trellis demo} can see which backend served a request and what reached it.
 *
 * <p>Speaks HTTP/1.1 (with keep-alive and pipelining) and cleartext HTTP/2, by prior knowledge or
 * by {@code Upgrade: h2c}. Every answer carries {@code x-served-by: <name>}. By path:
 * <ul>
 *   <li>any path: 200, {@code content-type: application/json}, body
 *       {@code {"server":"<name>","method":"GET","path":"/x?y=1","protocol":"HTTP/1.1"|"HTTP/2",
 *       "headers":{"<lower-case name>":"<values joined by ', '>"},"bodyBytes":N}};</li>
 *   <li>{@code /status/NNN} (200..599): the same body with that status (none for 204 and 304);</li>
 *   <li>{@code /delay/MS} (0..3600000): the same, {@code MS} milliseconds after the request ends;</li>
 *   <li>{@code /bytes/N}: {@code N} bytes of {@code application/octet-stream}, streamed as the
 *       client reads them; byte {@code i} is {@code 'a' + i % 26} ({@link #bodyBytesSent()} counts
 *       them as they go out). Over HTTP/1 the request header {@code x-echo-framing} picks how the
 *       body is framed: {@code length} (default), {@code chunked}, or {@code close} (no length,
 *       {@code Connection: close}, and the connection closes cleanly after the last byte);</li>
 *   <li>{@code /hold}: the echo, once the test calls {@link #releaseHeld()}; until then the request
 *       is in flight here ({@link #heldCount()});</li>
 *   <li>{@code /reset-after-headers} and {@code /reset-mid-body/N} (1..16 MiB): the head of a 200
 *       response, then no body or {@code N} pattern bytes of it, then a reset, as an app that
 *       crashes mid-response: over HTTP/1 the connection is closed with an RST, over HTTP/2 the
 *       stream gets RST_STREAM. Over HTTP/1 the request header {@code x-echo-framing} picks how
 *       the body is framed: {@code length} (default; a {@code Content-Length} 1024 bytes more than
 *       is sent), {@code chunked}, or {@code close} (no length, {@code Connection: close}).</li>
 * </ul>
 * Request bodies are counted as they stream in, never kept, so uploads of any size need no
 * memory. A malformed request, or a bad number in a special path, gets 400 with
 * {@code {"server":…,"error":…}}.
 *
 * <p>Over HTTP/2 it can act as a constrained server, set before {@link #start()}: announce a
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} ({@link #maxConcurrentStreams}, enforced by refusing
 * streams beyond it), refuse the first streams of each connection ({@link #refuseFirstStreams}),
 * and send GOAWAY on demand ({@link #goAway()}). It counts what clients did, from the HEADERS
 * frames they send: {@link #maxConcurrentStreamsSeen()}, {@link #refusedStreams()},
 * {@link #streamsOpenedAfterGoAway()}.
 */
public final class HttpEchoServer extends SampleServer {

    private final AtomicLong served = new AtomicLong();
    private final AtomicLong bodyBytesSent = new AtomicLong();
    private final HeldRequests held = new HeldRequests();
    private final Misbehaviour misbehaviour = new Misbehaviour();
    private long maxConcurrentStreams;
    private int refuseFirstStreams;
    private volatile Http2Streams http2 = new Http2Streams(0, 0);

    /** A server on an ephemeral port; see {@link #port()} once started. */
    public HttpEchoServer(String name) {
        this(name, 0);
    }

    /** A server on {@code port}, or an ephemeral one if 0. */
    public HttpEchoServer(String name, int port) {
        super(name, port);
    }

    /**
     * Announces {@code streams} as {@code SETTINGS_MAX_CONCURRENT_STREAMS} on each HTTP/2
     * connection, and refuses a stream beyond it with {@code RST_STREAM REFUSED_STREAM}. Before
     * {@link #start()}; by default none is announced, so there is no limit.
     */
    public synchronized HttpEchoServer maxConcurrentStreams(long streams) {
        if (streams < 1 || streams > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("maxConcurrentStreams: " + streams + " (expected: 1..4294967295)");
        }
        maxConcurrentStreams = streams;
        return this;
    }

    /**
     * Refuses the first {@code streams} streams of each HTTP/2 connection with
     * {@code RST_STREAM REFUSED_STREAM}, unprocessed, as a server may when it is busy. Before
     * {@link #start()}; by default none.
     */
    public synchronized HttpEchoServer refuseFirstStreams(int streams) {
        if (streams < 0) {
            throw new IllegalArgumentException("refuseFirstStreams: " + streams + " (expected: 0 or more)");
        }
        refuseFirstStreams = streams;
        return this;
    }

    /**
     * From now on, answers {@code status} instead of its echo to each request with a chance of one
     * in {@code every} (1: all of them, 2: half of them, at random, so failures come in runs as
     * real ones do); status 0 stops it.
     * Plain echoes and {@code /delay/MS} requests are affected, the other special paths not.
     */
    public HttpEchoServer failing(int status, int every) {
        if (status != 0 && (status < 200 || status > 599 || every < 1)) {
            throw new IllegalArgumentException("failing(" + status + ", " + every + ") (expected: a status 200..599, every >= 1)");
        }
        misbehaviour.failing(status, Math.max(1, every));
        return this;
    }

    /** How many requests were answered with the status of {@link #failing} instead of their echo. */
    public long failuresAnswered() {
        return misbehaviour.failuresAnswered();
    }

    /** The headers of the last plain echo or {@code /delay/MS} request answered (lower-case names), or none yet. */
    public java.util.Map<String, String> lastHeaders() {
        return misbehaviour.lastHeaders();
    }

    /** From now on, answers plain echoes and {@code /delay/MS} requests {@code extra} later; zero stops it. */
    public HttpEchoServer slowedBy(Duration extra) {
        misbehaviour.slowedBy(extra.toMillis());
        return this;
    }

    @Override
    public synchronized HttpEchoServer start() {
        http2 = new Http2Streams(maxConcurrentStreams, refuseFirstStreams);
        super.start();
        return this;
    }

    /** The most HTTP/2 streams a client has had open at once on one connection, refused ones included. */
    public int maxConcurrentStreamsSeen() {
        return http2.maxOpenOnOneConnection();
    }

    /** HTTP/2 streams open now, on all connections. */
    public int openStreams() {
        return http2.openStreams();
    }

    /** HTTP/2 streams clients have opened, refused ones included. */
    public long streamsOpened() {
        return http2.opened();
    }

    /** HTTP/2 streams this server refused: beyond its limit, or on purpose ({@link #refuseFirstStreams}). */
    public long refusedStreams() {
        return http2.refused();
    }

    /** HTTP/2 streams clients opened on a connection after this server sent GOAWAY on it. */
    public long streamsOpenedAfterGoAway() {
        return http2.openedAfterGoAway();
    }

    /**
     * Sends GOAWAY (NO_ERROR, last stream id: the last stream opened) on every open HTTP/2
     * connection: their open streams are answered, new ones must go to a new connection. Returns
     * once each peer has read it (it answered a PING sent after it), within 10 seconds.
     */
    public void goAway() {
        http2.goAway(false, Duration.ofSeconds(10));
    }

    /**
     * Sends GOAWAY (NO_ERROR, last stream id 0) on every open HTTP/2 connection: none of their open
     * streams was processed, and they are dropped unanswered. Returns once each peer has read it.
     */
    public void goAwayDroppingOpenStreams() {
        http2.goAway(true, Duration.ofSeconds(10));
    }

    /** How many requests this server has answered (over any protocol) since it was built. */
    public long requestCount() {
        return served.get();
    }

    /** How many {@code /hold} requests wait here now for {@link #releaseHeld()}. */
    public int heldCount() {
        return held.count();
    }

    /** Answers every {@code /hold} request waiting now; returns how many there were. */
    public int releaseHeld() {
        return held.releaseAll();
    }

    /** How many bytes of {@code /bytes/N} bodies this server has produced, as the peers took them. */
    public long bodyBytesSent() {
        return bodyBytesSent.get();
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI uri(String path) {
        return URI.create("http://" + HOST + ":" + port() + path);
    }

    @Override
    ChannelHandler childHandler() {
        EchoResponses responses = new EchoResponses(name(), bodyBytesSent);
        return new EchoServerInitializer(() -> new HttpEchoHandler(responses, served, held, misbehaviour), http2);
    }
}

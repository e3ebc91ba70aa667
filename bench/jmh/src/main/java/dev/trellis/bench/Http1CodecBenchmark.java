// Measures the HTTP/1.1 codec work of one proxied request, in time and in bytes allocated per
// operation: the downstream connection decoding a typical GET and encoding its 200 response, the
// upstream connection encoding that request and decoding the response, each through the codecs
// configured exactly as the proxy configures them (ConnectionInitializer for the listener's pipeline,
// UpstreamPools for an upstream connection's), and all four in one proxied exchange. The codecs run on every
// request, so their allocation is most of the hot path's allocation budget (see README.md).
package dev.trellis.bench;

import dev.trellis.proxy.http.codec.BenchCodecs;
import dev.trellis.proxy.http.codec.Http1ClientCodec;
import dev.trellis.proxy.http.codec.Http1ServerCodec;
import dev.trellis.proxy.listener.BenchListenerPipeline;
import dev.trellis.proxy.upstream.UpstreamPools;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

public class Http1CodecBenchmark extends HotPathBenchmark {
    /** A browser's GET as the downstream sends it: 8 headers. */
    static final byte[] REQUEST = ascii("""
            GET /api/v1/orders/42?expand=items HTTP/1.1\r
            Host: shop.example.com\r
            User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r
            Accept: application/json, text/plain, */*\r
            Accept-Language: en-US,en;q=0.5\r
            Accept-Encoding: gzip, deflate, br\r
            Connection: keep-alive\r
            Cookie: session=3b1f9c2e7a5d4e8f; theme=dark\r
            X-Request-Id: 9f1c2d3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f\r
            \r
            """);

    /** The upstream's answer, bench/proxy's backend's: 200, 4 headers, the 6 bytes "hello\n". */
    static final byte[] RESPONSE = ascii("""
            HTTP/1.1 200 OK\r
            Server: nginx\r
            Date: Fri, 28 Nov 2026 00:00:00 GMT\r
            Content-Type: text/plain\r
            Content-Length: 6\r
            \r
            hello
            """);

    static final byte[] BODY = ascii("hello\n");

    /** The downstream connection: the listener's pipeline, minus the proxy's own handler. */
    private EmbeddedChannel downstream;
    private Http1ServerCodec serverCodec;
    /** The upstream connection: its codec as an HTTP/1.1 upstream pool configures it. */
    private EmbeddedChannel upstream;
    private Http1ClientCodec clientCodec;

    private ByteBufAllocator alloc;

    /** The request head the proxy writes upstream, and the response it writes downstream, as its decoders made them: reused. */
    private HttpRequest request;
    private HttpResponse response;
    private LastHttpContent responseBody;

    @Setup
    public void setUp() throws Exception {
        if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
            System.err.printf("%nWARNING: not on a Netty FastThreadLocalThread (was -jvmArgsAppend given? it replaces %s %s):"
                    + " Netty recycles nothing here, and allocation per op is higher than on the proxy's event loops%n",
                    EventLoopThreads.EXECUTOR, EventLoopThreads.EXECUTOR_CLASS);
        }
        serverCodec = BenchListenerPipeline.http1Codec();
        downstream = new EmbeddedChannel(BenchListenerPipeline.front(serverCodec));
        clientCodec = UpstreamPools.http1Codec();
        upstream = new EmbeddedChannel(clientCodec);
        alloc = downstream.alloc();

        responseBody = new DefaultLastHttpContent(alloc.directBuffer(BODY.length).writeBytes(BODY));

        // The codecs must do what the benchmarks say, byte for byte; this also takes the listener's
        // pipeline past its first request (the h2c preface sniffer leaves after the first bytes).
        check("exchange: messages left", 0, exchange(null));
        // What the proxy encodes is what its decoders made: names in lower case, values as bytes.
        request = (HttpRequest) decodedHead(downstream, REQUEST);
        BenchCodecs.forgetRequests(serverCodec);
        BenchCodecs.sentGet(clientCodec);
        response = (HttpResponse) decodedHead(upstream, RESPONSE);
        check("decodeRequest: messages", 2, decodeRequest(null));
        check("encodeResponse: bytes", RESPONSE.length, encodeResponse(null));
        check("encodeRequest: bytes", REQUEST.length, encodeRequest(null));
        check("decodeResponse: messages", 2, decodeResponse(null));
        check("encoded response", Arrays.toString(lowerCaseNames(RESPONSE)), Arrays.toString(encoded(downstream, response, responseBody)));
        check("encoded request", Arrays.toString(lowerCaseNames(REQUEST)), Arrays.toString(encoded(upstream, request, LastHttpContent.EMPTY_LAST_CONTENT)));
        BenchCodecs.forgetRequests(clientCodec);
        System.out.printf("%nmessage sizes: request %d B, response %d B (head %d + body %d)%n",
                REQUEST.length, RESPONSE.length, RESPONSE.length - BODY.length, BODY.length);
    }

    @TearDown
    public void tearDown() {
        downstream.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
        responseBody.release();
    }

    /**
     * The downstream codec decodes a request that arrived in one read: the request head and an
     * empty last content. (The listener's codec queues each request's method for its response; the
     * benchmark empties that queue as the response written for it would, or the codec's queue would
     * grow without end.)
     */
    @Benchmark
    public int decodeRequest(Blackhole bh) {
        fireRead(downstream, REQUEST);
        int n = drainInbound(downstream, bh);
        BenchCodecs.forgetRequests(serverCodec);
        return n;
    }

    /** The downstream codec encodes the response head and its 6-byte body, written with a void promise as the proxy writes. */
    @Benchmark
    public int encodeResponse(Blackhole bh) {
        responseBody.retain(); // the encoder releases what it is given
        downstream.write(response, downstream.voidPromise());
        downstream.write(responseBody, downstream.voidPromise());
        downstream.flush();
        return drainOutbound(downstream, bh);
    }

    /** The upstream codec encodes the request head and its empty last content. */
    @Benchmark
    public int encodeRequest(Blackhole bh) {
        upstream.write(request, upstream.voidPromise());
        upstream.write(LastHttpContent.EMPTY_LAST_CONTENT, upstream.voidPromise());
        upstream.flush();
        BenchCodecs.forgetRequests(clientCodec); // what decoding its response would take out
        return drainOutbound(upstream, bh);
    }

    /** The upstream codec decodes a response that arrived in one read: the head and its body as last content. */
    @Benchmark
    public int decodeResponse(Blackhole bh) {
        BenchCodecs.sentGet(clientCodec); // what encoding its request would have put in
        fireRead(upstream, RESPONSE);
        return drainInbound(upstream, bh);
    }

    /**
     * One proxied request's codec work, with no help from reflection: the downstream decodes the
     * request, the upstream encodes the decoded request and decodes the response, the downstream
     * encodes the decoded response. Returns the number of messages still in flight (0).
     */
    @Benchmark
    public int exchange(Blackhole bh) {
        fireRead(downstream, REQUEST);
        for (Object part; (part = downstream.readInbound()) != null; ) {
            upstream.write(part, upstream.voidPromise());
        }
        upstream.flush();
        drainOutbound(upstream, bh);
        fireRead(upstream, RESPONSE);
        for (Object part; (part = upstream.readInbound()) != null; ) {
            downstream.write(part, downstream.voidPromise());
        }
        downstream.flush();
        drainOutbound(downstream, bh);
        return downstream.inboundMessages().size() + upstream.inboundMessages().size();
    }

    /**
     * What a socket read hands the pipeline: the bytes, in a buffer of the channel's allocator (pooled,
     * direct). Copied from an array: a copy from another direct buffer would allocate a ByteBuffer
     * view (60 B) that a socket read does not.
     */
    private void fireRead(EmbeddedChannel channel, byte[] bytes) {
        ByteBuf read = alloc.directBuffer(bytes.length).writeBytes(bytes);
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.fireChannelRead(read);
        pipeline.fireChannelReadComplete();
        channel.checkException();
    }

    /** Consumes and releases what the pipeline passed on; returns how many messages. */
    private static int drainInbound(EmbeddedChannel channel, Blackhole bh) {
        int n = 0;
        for (Object msg; (msg = channel.readInbound()) != null; n++) {
            if (bh != null) {
                bh.consume(msg);
            }
            ReferenceCountUtil.release(msg);
        }
        return n;
    }

    /** Consumes and releases what would go to the socket; returns how many bytes. */
    private static int drainOutbound(EmbeddedChannel channel, Blackhole bh) {
        channel.checkException();
        int bytes = 0;
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            bytes += ((ByteBuf) msg).readableBytes();
            if (bh != null) {
                bh.consume(msg);
            }
            ReferenceCountUtil.release(msg);
        }
        return bytes;
    }

    private static byte[] encoded(EmbeddedChannel channel, Object head, LastHttpContent last) {
        last.retain();
        channel.write(head, channel.voidPromise());
        channel.write(last, channel.voidPromise());
        channel.flush();
        ByteBuf all = Unpooled.buffer();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            all.writeBytes((ByteBuf) msg);
            ReferenceCountUtil.release(msg);
        }
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        return bytes;
    }

    /** The decoder configuration of UpstreamPools' HTTP/1.1 connections (private there: read, not copied). */
    /** The head {@code channel}'s decoder makes of {@code message}; the rest of it released. */
    private Object decodedHead(EmbeddedChannel channel, byte[] message) {
        fireRead(channel, message);
        Object head = channel.readInbound();
        drainInbound(channel, null);
        return head;
    }

    /** {@code message} with its header names in lower case, as the proxy forwards them. */
    static byte[] lowerCaseNames(byte[] message) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        StringBuilder out = new StringBuilder();
        String[] lines = text.substring(0, headEnd).split("\r\n", -1);
        out.append(lines[0]);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            out.append("\r\n").append(lines[i].substring(0, colon).toLowerCase(Locale.ROOT)).append(lines[i].substring(colon));
        }
        return out.append(text.substring(headEnd)).toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void check(String what, Object expected, Object actual) {
        if (!actual.equals(expected)) {
            throw new IllegalStateException(what + ": expected " + expected + ", got " + actual);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

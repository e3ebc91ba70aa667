package dev.trellis.controlplane.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.trellis.config.Document;
import dev.trellis.config.KindNames;
import dev.trellis.controlplane.config.ConfigStore;
import dev.trellis.model.ConfigException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks the HTTP JSON API:
 *
 * <pre>
 * POST   /api/v1/apply[?dryRun=true]          YAML or JSON documents (a body, or multipart files)
 * GET    /api/v1/{kind}[?namespace=NS]        {"kind": ..., "items": [documents]}
 * GET    /api/v1/{kind}/{namespace}/{name}    the document as applied
 * DELETE /api/v1/{kind}/{namespace}/{name}[?dryRun=true]
 * GET    /api/v1/proxy-status                 connected clients and their sync status
 * GET    /api/v1/workloadentries[?namespace=NS]  registered workloads
 * GET    /healthz
 * </pre>
 *
 * A kind may be named as users write it ({@code vs}, {@code virtualservice}, {@code VirtualServices}).
 * Rejected input answers 400 with {@code {"error": ..., "problems": [...]}}, each problem naming
 * file, document, resource and field, as a proxy reading files does.
 */
@ChannelHandler.Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    static final String PREFIX = "/api/v1/";
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** An answer other than 200, with its message. */
    private static final class Refusal extends Exception {
        final HttpResponseStatus status;

        Refusal(HttpResponseStatus status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final ControlPlaneApi api;
    private final Executor work;

    /** @param work where requests are answered: one at a time, off the I/O thread */
    ApiHandler(ControlPlaneApi api, Executor work) {
        this.api = api;
        this.work = work;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        request.retain();
        work.execute(() -> {
            try {
                answer(ctx, request);
            } finally {
                request.release();
            }
        });
    }

    private void answer(ChannelHandlerContext ctx, FullHttpRequest request) {
        FullHttpResponse response;
        try {
            response = json(HttpResponseStatus.OK, handle(request));
        } catch (Refusal e) {
            response = json(e.status, error(e.getMessage(), List.of()));
        } catch (ConfigException e) {
            response = json(HttpResponseStatus.BAD_REQUEST, error(e.problems().size() == 1
                    ? "configuration rejected" : "configuration rejected: " + e.problems().size() + " problems", e.problems()));
        } catch (RuntimeException e) {
            log.error("{} {} failed", request.method(), request.uri(), e);
            response = json(HttpResponseStatus.INTERNAL_SERVER_ERROR, error("internal error: " + e, List.of()));
        }
        HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
        ctx.writeAndFlush(response);
    }

    private Object handle(FullHttpRequest request) throws Refusal, ConfigException {
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        String path = query.path();
        if (path.equals("/healthz")) {
            return JSON.createObjectNode().put("status", "ok");
        }
        if (!path.startsWith(PREFIX)) {
            throw new Refusal(HttpResponseStatus.NOT_FOUND, "no such path: " + path + " (the API is under " + PREFIX + ")");
        }
        List<String> parts = Arrays.stream(path.substring(PREFIX.length()).split("/")).filter(p -> !p.isEmpty()).toList();
        boolean dryRun = flag(query, "dryRun");
        HttpMethod method = request.method();
        if (parts.equals(List.of("apply"))) {
            expect(method, HttpMethod.POST);
            return outcome(api.apply(sources(request, query), dryRun));
        }
        if (parts.equals(List.of("proxy-status"))) {
            expect(method, HttpMethod.GET);
            return items("ProxyStatus", api.proxies());
        }
        if (parts.size() >= 1 && parts.get(0).equalsIgnoreCase("workloadentries")) {
            expect(method, HttpMethod.GET);
            Optional<String> namespace = param(query, "namespace");
            return items("WorkloadEntry", api.registrations().stream()
                    .filter(r -> namespace.map(r.namespace()::equals).orElse(true))
                    .toList());
        }
        if (parts.size() != 1 && parts.size() != 3) {
            throw new Refusal(HttpResponseStatus.NOT_FOUND, "no such path: " + path
                    + " (expected: " + PREFIX + "{kind} or " + PREFIX + "{kind}/{namespace}/{name})");
        }
        String kind = KindNames.resolve(parts.get(0)).orElseThrow(() -> new Refusal(HttpResponseStatus.NOT_FOUND,
                "no kind " + parts.get(0) + " (expected one of: " + String.join(", ", KindNames.kinds()) + ", WorkloadEntry)"));
        if (parts.size() == 1) {
            expect(method, HttpMethod.GET);
            Optional<String> namespace = param(query, "namespace");
            return items(kind, api.config().documents().stream()
                    .filter(d -> d.meta().kind().equals(kind) && namespace.map(d.meta().namespace()::equals).orElse(true))
                    .map(Document::source)
                    .toList());
        }
        String namespace = parts.get(1);
        String name = parts.get(2);
        if (method.equals(HttpMethod.DELETE)) {
            return outcome(api.delete(kind, namespace, name, dryRun).orElseThrow(() -> notFound(kind, namespace, name)));
        }
        expect(method, HttpMethod.GET);
        return api.config().find(kind, namespace, name).map(Document::source).orElseThrow(() -> notFound(kind, namespace, name));
    }

    /** The documents to apply: each file of a multipart upload, or the body itself. */
    private static List<ControlPlaneApi.Source> sources(FullHttpRequest request, QueryStringDecoder query) throws Refusal {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (!type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            String name = param(query, "source").orElse("request body");
            return List.of(new ControlPlaneApi.Source(name, request.content().toString(StandardCharsets.UTF_8)));
        }
        HttpPostRequestDecoder decoder = new HttpPostRequestDecoder(new DefaultHttpDataFactory(false), request);
        try {
            List<ControlPlaneApi.Source> sources = new ArrayList<>();
            for (InterfaceHttpData part : decoder.getBodyHttpDatas()) {
                if (part instanceof FileUpload file) {
                    sources.add(new ControlPlaneApi.Source(file.getFilename(), file.getString(StandardCharsets.UTF_8)));
                }
            }
            if (sources.isEmpty()) {
                throw new Refusal(HttpResponseStatus.BAD_REQUEST, "the multipart request holds no file");
            }
            return sources;
        } catch (IOException | HttpPostRequestDecoder.ErrorDataDecoderException e) {
            throw new Refusal(HttpResponseStatus.BAD_REQUEST, "the multipart request cannot be read: " + e.getMessage());
        } finally {
            decoder.destroy();
        }
    }

    private static ObjectNode outcome(ConfigStore.Outcome outcome) {
        ObjectNode node = JSON.createObjectNode();
        node.put("dryRun", outcome.dryRun());
        node.put("revision", outcome.result().revision());
        ArrayNode changes = node.putArray("changes");
        for (ConfigStore.Change change : outcome.changes()) {
            changes.addObject()
                    .put("kind", change.kind())
                    .put("namespace", change.namespace())
                    .put("name", change.name())
                    .put("action", change.action().name().toLowerCase(java.util.Locale.ROOT));
        }
        return node;
    }

    private static ObjectNode items(String kind, List<?> items) {
        ObjectNode node = JSON.createObjectNode();
        node.put("kind", kind);
        node.set("items", JSON.valueToTree(items));
        return node;
    }

    private static ObjectNode error(String message, List<String> problems) {
        ObjectNode node = JSON.createObjectNode();
        node.put("error", message);
        problems.forEach(node.putArray("problems")::add);
        return node;
    }

    private static Refusal notFound(String kind, String namespace, String name) {
        return new Refusal(HttpResponseStatus.NOT_FOUND, kind + " " + namespace + "/" + name + " not found");
    }

    private static void expect(HttpMethod method, HttpMethod expected) throws Refusal {
        if (!method.equals(expected)) {
            throw new Refusal(HttpResponseStatus.METHOD_NOT_ALLOWED, method + " (expected: " + expected + ")");
        }
    }

    private static Optional<String> param(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    private static boolean flag(QueryStringDecoder query, String name) {
        return param(query, name).map(v -> v.isEmpty() || v.equalsIgnoreCase("true")).orElse(false);
    }

    private static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body.getClass(), e);
        }
        ByteBuf content = Unpooled.wrappedBuffer(bytes, "\n".getBytes(StandardCharsets.UTF_8));
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}

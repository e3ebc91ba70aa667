package dev.trellis.proxy.http.filter;

import dev.trellis.proxy.telemetry.ResponseFlag;
import dev.trellis.proxy.route.Route;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;

/** What a filter may see and do of the request it is given: the request's side of the chain. */
public interface FilterCallbacks {
    HttpRequest request();

    /** The route the request matched. */
    Route route();

    boolean grpc();

    /** The request's event loop, for timers. */
    EventExecutor executor();

    void flag(ResponseFlag flag);

    /**
     * Answers the request from the proxy and ends it; the chain stops.
     *
     * @param grpcStatus the status a gRPC caller gets, or -1 to map it from {@code status}
     */
    void respond(HttpResponseStatus status, int grpcStatus, String message, ResponseFlag flag);

    /** Goes on with the filters after the one that stopped, once it is done; nothing if the request has ended. */
    void resume();

    /** Whether the request has ended (answered, or the client went away): a late timer does nothing then. */
    boolean ended();
}

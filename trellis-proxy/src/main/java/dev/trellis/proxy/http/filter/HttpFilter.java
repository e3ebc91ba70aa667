package dev.trellis.proxy.http.filter;

/**
 * One step a request passes before the router, built from the listener's {@code http_filters}.
 * A filter keeps no per-request state: what it needs of the request it asks the {@link
 * FilterCallbacks}, which belong to the request.
 */
public interface HttpFilter {
    /** What the chain does after a filter saw the request's head. */
    enum Status {
        /** On to the next filter, or the router. */
        CONTINUE,
        /**
         * Not now: the filter answered locally, or will call {@link FilterCallbacks#resume()}
         * later (a delay).
         */
        STOP
    }

    Status onRequest(FilterCallbacks request);
}

package dev.trellis.proxy.http.filter;

import dev.trellis.proxy.config.HttpOptions;
import dev.trellis.proxy.config.ListenerConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The filters of one listener config, in order, built once per config and shared by all its
 * requests. The router is not among them: it is where every request goes once they all continue.
 */
public final class FilterChain {
    public static final FilterChain EMPTY = new FilterChain(new HttpFilter[0]);

    private final HttpFilter[] filters;

    private FilterChain(HttpFilter[] filters) {
        this.filters = filters;
    }

    public static FilterChain of(ListenerConfig config) {
        if (config.http().filters().isEmpty()) {
            return EMPTY;
        }
        List<HttpFilter> built = new ArrayList<>();
        for (HttpOptions.Filter filter : config.http().filters()) {
            built.add(switch (filter) {
                case HttpOptions.Filter.FaultInjection fault -> new FaultFilter(fault.defaults());
                case HttpOptions.Filter.LocalRateLimit limit -> new LocalRateLimitFilter(limit.defaults(), config.routes());
            });
        }
        return new FilterChain(built.toArray(new HttpFilter[0]));
    }

    /**
     * Runs the filters from {@code from} on: the index of the filter that stopped, or {@link #size()}
     * when all continued and the request goes to the router.
     */
    public int run(int from, FilterCallbacks request) {
        for (int i = from; i < filters.length; i++) {
            if (filters[i].onRequest(request) == HttpFilter.Status.STOP) {
                return i;
            }
        }
        return filters.length;
    }

    public int size() {
        return filters.length;
    }
}

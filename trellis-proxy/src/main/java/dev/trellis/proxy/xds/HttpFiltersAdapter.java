package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.proxy.config.HttpOptions;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an HTTP connection manager's {@code http_filters}: the fault and local rate limit filters,
 * in their order, then the router, which ends the chain. Any other filter is refused unless marked
 * {@code is_optional}, which lets a client skip it. Filters are told apart by their config's type;
 * their names are what routes key their per-route settings by.
 */
final class HttpFiltersAdapter {
    /** The filters Trellis runs before the router. */
    enum Kind {
        FAULT,
        LOCAL_RATE_LIMIT
    }

    /**
     * @param filters the filters before the router, in order
     * @param byName each such filter's kind by its name
     */
    record Chain(List<HttpOptions.Filter> filters, Map<String, Kind> byName) {}

    private final Refusals refusals;
    private final FaultAdapter faults;
    private final RateLimitAdapter rateLimits;

    HttpFiltersAdapter(Refusals refusals) {
        this.refusals = refusals;
        this.faults = new FaultAdapter(refusals);
        this.rateLimits = new RateLimitAdapter(refusals);
    }

    Chain chain(List<HttpFilter> filters, String where) {
        if (filters.isEmpty() || !filters.get(filters.size() - 1).getTypedConfig().is(Router.class)) {
            refusals.add(where, "the last filter is not the router (expected: envoy.filters.http.router last)");
        }
        List<HttpOptions.Filter> chain = new ArrayList<>();
        Map<String, Kind> byName = new LinkedHashMap<>();
        for (int i = 0; i < filters.size(); i++) {
            HttpFilter filter = filters.get(i);
            String at = where + "[" + i + "]";
            refusals.onlyFields(filter, at, Set.of("name", "typed_config", "is_optional"));
            Any config = filter.getTypedConfig();
            try {
                if (config.is(Router.class)) {
                    refusals.onlyFields(config.unpack(Router.class), at + ".typed_config", Set.of());
                    if (i < filters.size() - 1) {
                        refusals.add(at, "the router before other filters (expected: the router last)");
                    }
                } else if (config.is(HTTPFault.class)) {
                    chain.add(new HttpOptions.Filter.FaultInjection(faults.fault(config.unpack(HTTPFault.class), at + ".typed_config")));
                    name(filter, Kind.FAULT, byName, at);
                } else if (config.is(LocalRateLimit.class)) {
                    chain.add(new HttpOptions.Filter.LocalRateLimit(
                            rateLimits.rateLimit(config.unpack(LocalRateLimit.class), at + ".typed_config")));
                    name(filter, Kind.LOCAL_RATE_LIMIT, byName, at);
                } else if (!filter.getIsOptional()) {
                    refusals.add(at, filter.getName() + " (" + config.getTypeUrl() + ") is not a filter Trellis runs (expected: "
                            + "the fault or local rate limit filter, the router, or a filter marked is_optional)");
                }
            } catch (InvalidProtocolBufferException e) {
                refusals.add(at + ".typed_config", "cannot be read: " + e.getMessage());
            }
        }
        return new Chain(chain, byName);
    }

    /** Records the filter's name, refusing a second filter of its kind or a name taken. */
    private void name(HttpFilter filter, Kind kind, Map<String, Kind> byName, String where) {
        if (byName.containsValue(kind)) {
            refusals.add(where, filter.getName() + " is a second " + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + " filter (expected: one)");
        } else if (byName.putIfAbsent(filter.getName(), kind) != null) {
            refusals.add(where + ".name", filter.getName() + " names an earlier filter too (expected: a name of its own)");
        }
    }
}

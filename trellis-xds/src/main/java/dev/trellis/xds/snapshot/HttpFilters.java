package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.trellis.model.LocalRateLimit.TokenBucket;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.TokenBucket.Builder;

/**
 * The HTTP filters a listener may run before its router, and their per-route configs: Envoy's fault
 * filter, which Istio puts in every HTTP listener and Trellis in those whose routes inject faults,
 * and its local rate limit filter, in the inbound listener of a service a LocalRateLimit names.
 */
final class HttpFilters {
    static final String FAULT = "envoy.filters.http.fault";
    static final String LOCAL_RATE_LIMIT = "envoy.filters.http.local_ratelimit";
    /** The stat prefix Istio's examples give the local rate limit filter. */
    static final String RATE_LIMIT_STAT_PREFIX = "http_local_rate_limiter";

    private HttpFilters() {}

    /** The fault filter, configured by its routes alone. */
    static HttpFilter fault() {
        return HttpFilter.newBuilder().setName(FAULT).setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())).build();
    }

    /** The local rate limit filter, {@code bucket} limiting every request whose route has none of its own. */
    static HttpFilter localRateLimit(TokenBucket bucket) {
        return HttpFilter.newBuilder().setName(LOCAL_RATE_LIMIT).setTypedConfig(Any.pack(rateLimit(bucket))).build();
    }

    /**
     * A token bucket as the local rate limit filter reads it, enabled and enforced for every
     * request: Envoy's filter limits none unless told which share to limit.
     */
    static LocalRateLimit rateLimit(TokenBucket bucket) {
        Builder tokens = io.envoyproxy.envoy.type.v3.TokenBucket.newBuilder()
                .setMaxTokens(bucket.maxTokens())
                .setTokensPerFill(UInt32Value.of(bucket.tokensPerFill()))
                .setFillInterval(Protos.duration(bucket.fillInterval()));
        RuntimeFractionalPercent all = RuntimeFractionalPercent.newBuilder().setDefaultValue(Protos.percent(100)).build();
        return LocalRateLimit.newBuilder()
                .setStatPrefix(RATE_LIMIT_STAT_PREFIX)
                .setTokenBucket(tokens)
                .setFilterEnabled(all)
                .setFilterEnforced(all)
                .build();
    }
}

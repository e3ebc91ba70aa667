package dev.trellis.xds.snapshot;

import dev.trellis.model.HeaderOps;
import dev.trellis.model.StringMatch;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Small factories for the Envoy messages every builder needs. Map inputs are read in key order, so equal models give equal bytes. */
final class Protos {
    private Protos() {}

    /** Resources of this type come over the same ADS stream. */
    static ConfigSource ads() {
        return ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3)
                .build();
    }

    static com.google.protobuf.Duration duration(java.time.Duration duration) {
        return com.google.protobuf.Duration.newBuilder()
                .setSeconds(duration.getSeconds())
                .setNanos(duration.getNano())
                .build();
    }

    /** A share of requests, 0..100, in Envoy's fraction per million (as Istio writes it: 12.5% is 125000). */
    static FractionalPercent percent(double percent) {
        return FractionalPercent.newBuilder()
                .setNumerator((int) Math.round(percent * 10_000))
                .setDenominator(FractionalPercent.DenominatorType.MILLION)
                .build();
    }

    static Address socket(String host, int port) {
        return Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
                .build();
    }

    static StringMatcher stringMatcher(StringMatch match, boolean ignoreCase) {
        StringMatcher.Builder matcher = StringMatcher.newBuilder();
        switch (match) {
            case StringMatch.Exact e -> matcher.setExact(e.value());
            case StringMatch.Prefix p -> matcher.setPrefix(p.value());
            case StringMatch.Regex r -> matcher.setSafeRegex(regex(r.value()));
        }
        if (ignoreCase && !(match instanceof StringMatch.Regex)) {
            matcher.setIgnoreCase(true); // Envoy ignores it for regular expressions, so say so by leaving it out
        }
        return matcher.build();
    }

    static RegexMatcher regex(String pattern) {
        return RegexMatcher.newBuilder().setRegex(pattern).build();
    }

    /** {@code set} entries overwrite, {@code add} entries append; removals are listed apart by Envoy. */
    static List<HeaderValueOption> headersToAdd(HeaderOps ops) {
        List<HeaderValueOption> options = new ArrayList<>();
        sorted(ops.set()).forEach((name, value) -> options.add(header(name, value, HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)));
        sorted(ops.add()).forEach((name, value) -> options.add(header(name, value, HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)));
        return options;
    }

    private static HeaderValueOption header(String name, String value, HeaderAppendAction action) {
        return HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
                .setAppendAction(action)
                .build();
    }

    static <V> Map<String, V> sorted(Map<String, V> map) {
        return new TreeMap<>(map);
    }
}

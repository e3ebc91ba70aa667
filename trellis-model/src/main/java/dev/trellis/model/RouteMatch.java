package dev.trellis.model;

import java.util.Map;
import java.util.Optional;

/**
 * One set of conditions on an HTTP request; all of them must hold (AND). A route matches when
 * any of its {@link RouteMatch}es does (OR), and a route without matches matches everything.
 *
 * @param headers header name (lower case) to how its value must match
 * @param ignoreUriCase compare {@code uri} case-insensitively (exact and prefix only)
 */
public record RouteMatch(
        Optional<StringMatch> uri,
        Optional<StringMatch> method,
        Optional<StringMatch> authority,
        Map<String, StringMatch> headers,
        boolean ignoreUriCase) {
    public static final RouteMatch ANY =
            new RouteMatch(Optional.empty(), Optional.empty(), Optional.empty(), Map.of(), false);

    public RouteMatch {
        headers = Map.copyOf(headers);
    }
}

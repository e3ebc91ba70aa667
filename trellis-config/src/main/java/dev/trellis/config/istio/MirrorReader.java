package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.Mirror;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Reads where an HTTP route's requests are copied to: Istio's single {@code mirror}, with its share
 * in {@code mirrorPercentage} (or the older whole {@code mirrorPercent}), or its list of
 * {@code mirrors}, each with its own {@code percentage}. A share left out is 100%, as in Istio.
 */
final class MirrorReader {
    private static final Fields MIRROR_POLICY = Fields.of("destination", "percentage");

    private MirrorReader() {}

    /** @param http the route, whose {@code mirror}, {@code mirrorPercentage}, {@code mirrorPercent} and {@code mirrors} are read */
    static List<Mirror> read(Node http, String namespace) {
        Node mirror = http.get("mirror");
        Node mirrors = http.get("mirrors");
        boolean shareGiven = http.get("mirrorPercentage").isPresent() || http.get("mirrorPercent").isPresent();
        if (mirror.isPresent() && mirrors.isPresent()) {
            mirrors.report("set with mirror (expected: either mirror, or mirrors)");
            return List.of();
        }
        if (shareGiven && !mirror.isPresent()) {
            Node share = http.get("mirrorPercentage").isPresent() ? http.get("mirrorPercentage") : http.get("mirrorPercent");
            share.report("set without mirror (expected: a mirror whose share of requests it gives; each of mirrors has its own percentage)");
            return List.of();
        }
        List<Mirror> result = new ArrayList<>();
        if (mirror.isPresent()) {
            OptionalDouble share = legacyShare(http);
            var destination = DestinationReader.destination(mirror, namespace);
            share.ifPresent(s -> result.add(new Mirror(destination, s)));
        }
        for (Node policy : mirrors.list("mirror policies")) {
            if (!policy.isRequiredObject(MIRROR_POLICY)) {
                continue;
            }
            var destination = DestinationReader.destination(policy.get("destination"), namespace);
            Node percentage = policy.get("percentage");
            OptionalDouble share = percentage.isPresent() ? PercentReader.percentage(percentage) : OptionalDouble.of(100);
            share.ifPresent(s -> result.add(new Mirror(destination, s)));
        }
        return result;
    }

    private static OptionalDouble legacyShare(Node http) {
        if (http.get("mirrorPercentage").isPresent() && http.get("mirrorPercent").isPresent()) {
            http.get("mirrorPercent").report("set with mirrorPercentage (expected: one of mirrorPercentage, mirrorPercent)");
            return OptionalDouble.empty();
        }
        if (http.get("mirrorPercent").isPresent()) {
            return PercentReader.wholePercent(http.get("mirrorPercent"));
        }
        Node percentage = http.get("mirrorPercentage");
        return percentage.isPresent() ? PercentReader.percentage(percentage) : OptionalDouble.of(100);
    }
}

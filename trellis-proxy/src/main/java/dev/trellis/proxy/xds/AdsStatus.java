package dev.trellis.proxy.xds;

import dev.trellis.xds.XdsType;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What an operator needs to debug a proxy's link to its control plane, shown under {@code "ads"}
 * in {@code /config_dump}: the control plane in use, whether the stream is up and since when,
 * why it last went down, and per type the accepted version and the last refusal. Written by the
 * ADS client's executor, read by admin requests; every method is synchronized.
 */
public final class AdsStatus {
    /** Where the stream stands. */
    public enum State { CONNECTING, CONNECTED, DISCONNECTED }

    private record Refusal(String version, String nonce, String reason, Instant at) {}

    private final Clock clock;
    private final List<String> controlPlanes;
    private final Supplier<XdsState> accepted;
    private final Supplier<Map<String, List<String>>> warming;
    private final String savedConfig;
    private final Map<XdsType, Refusal> refusals = new EnumMap<>(XdsType.class);
    private State state = State.DISCONNECTED;
    private String controlPlane;
    private String node;
    private Instant since;
    private String lastError;
    private Instant lastErrorAt;
    private Instant nextAttemptAt;

    /**
     * @param accepted the accepted resources, for their versions
     * @param warming the names of accepted resources not running yet, by kind
     * @param savedConfig where accepted resources are saved
     */
    public AdsStatus(Clock clock, List<String> controlPlanes, Supplier<XdsState> accepted,
            Supplier<Map<String, List<String>>> warming, String savedConfig) {
        this.clock = clock;
        this.controlPlanes = List.copyOf(controlPlanes);
        this.accepted = accepted;
        this.warming = warming;
        this.savedConfig = savedConfig;
        this.since = clock.instant();
    }

    synchronized void connecting(String address, String nodeId) {
        change(State.CONNECTING);
        controlPlane = address;
        node = nodeId;
        nextAttemptAt = null;
    }

    synchronized void connected(String address) {
        change(State.CONNECTED);
        controlPlane = address;
    }

    synchronized void disconnected(String address, String reason, long retryMillis) {
        change(State.DISCONNECTED);
        controlPlane = address;
        lastError = reason;
        lastErrorAt = clock.instant();
        nextAttemptAt = lastErrorAt.plusMillis(retryMillis);
    }

    synchronized void refused(XdsType type, String version, String nonce, String reason) {
        refusals.put(type, new Refusal(version, nonce, reason, clock.instant()));
    }

    /** A newer version of {@code type} was accepted: the last refusal no longer describes what runs. */
    synchronized void accepted(XdsType type) {
        refusals.remove(type);
    }

    public synchronized State state() {
        return state;
    }

    /** The last refusal's reasons for {@code type}, or null. */
    public synchronized String lastRefusal(XdsType type) {
        Refusal refusal = refusals.get(type);
        return refusal == null ? null : refusal.reason();
    }

    private void change(State next) {
        if (state != next) {
            state = next;
            since = clock.instant();
        }
    }

    /** The status as JSON-ready maps, for the config dump. */
    public synchronized Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("controlPlane", controlPlane);
        out.put("controlPlanes", controlPlanes);
        out.put("node", node);
        out.put("state", state);
        out.put("connected", state == State.CONNECTED);
        out.put("since", since.toString());
        if (lastError != null) {
            out.put("lastError", Map.of("reason", lastError, "at", lastErrorAt.toString()));
        }
        if (state == State.DISCONNECTED && nextAttemptAt != null) {
            out.put("nextAttemptAt", nextAttemptAt.toString());
        }
        XdsState state = accepted.get();
        Map<String, Object> types = new LinkedHashMap<>();
        for (XdsType type : XdsType.values()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("acceptedVersion", state.version(type).orElse(null));
            entry.put("resources", state.resources().of(type).size());
            Refusal refusal = refusals.get(type);
            if (refusal != null) {
                entry.put("lastNack", Map.of("version", refusal.version(), "nonce", refusal.nonce(),
                        "reason", refusal.reason(), "at", refusal.at().toString()));
            }
            types.put(type.shortName(), entry);
        }
        out.put("types", types);
        out.put("warming", warming.get());
        out.put("savedConfig", savedConfig);
        return out;
    }
}

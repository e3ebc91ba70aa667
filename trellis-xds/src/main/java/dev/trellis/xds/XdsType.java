package dev.trellis.xds;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.Optional;

/**
 * The four xDS resource types Trellis serves, in the order a client applies them: clusters before
 * the endpoints that fill them, listeners before the routes they name.
 */
public enum XdsType {
    CLUSTER("CDS", Cluster.class, "type.googleapis.com/envoy.config.cluster.v3.Cluster"),
    ENDPOINT("EDS", ClusterLoadAssignment.class, "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"),
    LISTENER("LDS", Listener.class, "type.googleapis.com/envoy.config.listener.v3.Listener"),
    ROUTE("RDS", RouteConfiguration.class, "type.googleapis.com/envoy.config.route.v3.RouteConfiguration");

    private final String shortName;
    private final Class<? extends Message> messageClass;
    private final String typeUrl;

    XdsType(String shortName, Class<? extends Message> messageClass, String typeUrl) {
        this.shortName = shortName;
        this.messageClass = messageClass;
        this.typeUrl = typeUrl;
    }

    /** {@code CDS}, {@code EDS}, {@code LDS} or {@code RDS}. */
    public String shortName() {
        return shortName;
    }

    public Class<? extends Message> messageClass() {
        return messageClass;
    }

    public String typeUrl() {
        return typeUrl;
    }

    /**
     * True for the types a client subscribes to by name, as the resources of the other types
     * name them (EDS by cluster, RDS by listener); CDS and LDS are wildcard subscriptions.
     */
    public boolean namedByOthers() {
        return this == ENDPOINT || this == ROUTE;
    }

    public static Optional<XdsType> ofTypeUrl(String typeUrl) {
        for (XdsType type : values()) {
            if (type.typeUrl.equals(typeUrl)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}

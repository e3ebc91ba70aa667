package dev.trellis.config.trellis;

import dev.trellis.config.internal.Choices;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.Locality;
import dev.trellis.model.Meta;
import dev.trellis.model.Protocol;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.model.ProxyBootstrap.Admin;
import dev.trellis.model.ProxyBootstrap.Inbound;
import dev.trellis.model.ProxyBootstrap.Upstream;
import dev.trellis.model.ProxyBootstrap.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads {@code Proxy} of {@code trellis.dev/v1alpha1}, the bootstrap of one proxy:
 *
 * <pre>
 * spec:
 *   workload: {service: web, serviceAccount: web, labels: {app: web},  # all optional
 *              locality: us-west/zone1/rack1}
 *   inbound: {port: 15006, appPort: 8080, protocol: HTTP}              # optional
 *   upstreams: [{service: catalog, port: 80, bindPort: 9090}]          # optional
 *   admin: {port: 15000}                                               # optional
 * </pre>
 *
 * <p>{@code workload.service} defaults to the document's name, {@code serviceAccount} to
 * {@code default}. {@code workload.locality} ({@code region/zone/subzone}, the later parts optional)
 * places the workload: the proxy is a caller there for locality-aware balancing, and its registered
 * endpoint runs there. {@code inbound.port} (default 15006), {@code upstreams[].bindPort} and
 * {@code admin.port} (default 15000) are ports the proxy listens on; 0 means an ephemeral port
 * chosen by the operating system. {@code appPort} is the workload's own port on loopback, and
 * {@code upstreams[].port} the service's port, both 1..65535. The proxy's listening ports and the
 * app port must all differ, 0 excepted. {@code protocol} is HTTP, HTTP2, GRPC or TCP, default HTTP.
 */
public final class ProxyReader {
    public static final int DEFAULT_INBOUND_PORT = 15006;
    public static final String DEFAULT_SERVICE_ACCOUNT = "default";

    private static final Fields SPEC = Fields.of("workload", "inbound", "upstreams", "admin");
    private static final Fields WORKLOAD = Fields.of("service", "serviceAccount", "labels", "locality");
    private static final Fields INBOUND = Fields.of("port", "appPort", "protocol");
    private static final Fields UPSTREAM = Fields.of("service", "port", "bindPort");
    private static final Fields ADMIN = Fields.of("port");
    private static final Choices<Protocol> PROTOCOLS = Choices.of("HTTP", Protocol.HTTP)
            .or("HTTP2", Protocol.HTTP2)
            .or("GRPC", Protocol.GRPC)
            .or("TCP", Protocol.TCP)
            .ignoringCase();

    private ProxyReader() {}

    public static Optional<ProxyBootstrap> read(Meta meta, Node spec) {
        if (!spec.isRequiredObject(SPEC)) {
            return Optional.empty();
        }
        PortClaims ports = new PortClaims();
        Workload workload = workload(spec.get("workload"), meta);
        Optional<Inbound> inbound = inbound(spec.get("inbound"), ports);
        List<Upstream> upstreams = new ArrayList<>();
        for (Node upstream : spec.get("upstreams").list("upstreams")) {
            upstream(upstream, meta.namespace(), ports).ifPresent(upstreams::add);
        }
        Admin admin = admin(spec.get("admin"), ports);
        return Optional.of(new ProxyBootstrap(meta, workload, inbound, upstreams, admin));
    }

    private static Workload workload(Node workload, Meta meta) {
        if (!workload.isObject(WORKLOAD)) {
            return new Workload(meta.name(), DEFAULT_SERVICE_ACCOUNT, Map.of());
        }
        Node service = workload.get("service");
        Node account = workload.get("serviceAccount");
        return new Workload(
                service.isPresent() ? Names.subdomain(service).orElse("") : meta.name(),
                account.isPresent() ? Names.subdomain(account).orElse("") : DEFAULT_SERVICE_ACCOUNT,
                workload.get("labels").stringMap("labels"),
                Names.locality(workload.get("locality")).orElse(Locality.NONE));
    }

    private static Optional<Inbound> inbound(Node inbound, PortClaims ports) {
        if (!inbound.isObject(INBOUND)) {
            return Optional.empty();
        }
        int port = listenPort(inbound.get("port"), DEFAULT_INBOUND_PORT, ports);
        Node appPortNode = inbound.get("appPort");
        OptionalInt appPort = appPortNode.requiredInteger(1, 65535);
        appPort.ifPresent(p -> ports.claim(p, appPortNode, true));
        Protocol protocol = inbound.get("protocol").oneOf(PROTOCOLS).orElse(Protocol.HTTP);
        return Optional.of(new Inbound(port, appPort.orElse(0), protocol));
    }

    private static Admin admin(Node admin, PortClaims ports) {
        admin.isObject(ADMIN);
        return new Admin(listenPort(admin.get("port"), Admin.DEFAULT_PORT, ports));
    }

    /** A port the proxy listens on, 0 for ephemeral, claimed among the proxy's ports. */
    private static int listenPort(Node port, int defaultPort, PortClaims ports) {
        boolean explicit = port.isPresent();
        int number = port.integer(0, 65535).orElse(explicit ? 0 : defaultPort);
        ports.claim(number, port, explicit);
        return number;
    }

    private static Optional<Upstream> upstream(Node upstream, String namespace, PortClaims ports) {
        if (!upstream.isRequiredObject(UPSTREAM)) {
            return Optional.empty();
        }
        Optional<String> service = Names.host(upstream.get("service"), namespace);
        OptionalInt port = upstream.get("port").requiredInteger(1, 65535);
        Node bindPortNode = upstream.get("bindPort");
        OptionalInt bindPort = bindPortNode.requiredInteger(0, 65535);
        bindPort.ifPresent(p -> ports.claim(p, bindPortNode, true));
        return Optional.of(new Upstream(service.orElse(""), port.orElse(0), bindPort.orElse(0)));
    }
}

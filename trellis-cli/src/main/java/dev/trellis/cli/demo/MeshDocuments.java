package dev.trellis.cli.demo;

/**
 * The YAML documents of the demo mesh, written as a user would write them, so the files the demo
 * leaves open for reading are a working example of the config format: one {@code Proxy} document
 * per sidecar, and the routing documents applied to the control plane.
 */
final class MeshDocuments {
    /** The port clients use to reach catalog: registered services are served on port 80. */
    static final int CATALOG_PORT = 80;

    private MeshDocuments() {}

    /** The sidecar in front of one version of catalog, which registers it with the control plane. */
    static String catalogSidecar(String name, String version, int inboundPort, int appPort) {
        return """
                # The sidecar beside %1$s. When it connects to the control plane it registers its
                # workload, an instance of the service catalog labelled version=%2$s, at its inbound
                # port: no ServiceEntry declares catalog. The mesh reaches the app only through here.
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: %1$s}
                spec:
                  workload: {service: catalog, labels: {version: %2$s}}
                  inbound: {port: %3$d, appPort: %4$d, protocol: HTTP}
                  admin: {port: 0}   # 0: any free port
                """.formatted(name, version, inboundPort, appPort);
    }

    /** The client's sidecar: the client calls catalog at 127.0.0.1:bindPort. */
    static String clientSidecar(String name, int bindPort) {
        return """
                # The sidecar beside the client, %1$s: the client calls catalog at 127.0.0.1:%2$d, and
                # this proxy picks the instance by the routes the control plane sends it.
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: %1$s}
                spec:
                  workload: {service: %1$s}
                  upstreams: [{service: catalog, port: %3$d, bindPort: %2$d}]
                  admin: {port: 0}   # 0: any free port
                """.formatted(name, bindPort, CATALOG_PORT);
    }

    /** catalog's subsets by the registered instances' labels, and its routes: the header route, then the split. */
    static String routing(Split split, String canaryHeader, String canaryValue) {
        return """
                # Applied to the control plane through its HTTP API, as 'trellis apply -f' does. The
                # demo rewrites the weights below and applies this file again at each phase.
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy:
                    # Least request spreads even this light load over v2's two replicas; the
                    # default, peak EWMA, would keep it on the replica it measured fastest.
                    loadBalancer: {simple: LEAST_REQUEST}
                    # An instance that answers 5xx twice in a row is taken out of balancing for
                    # 30 s (longer each time it happens again); the interval returns it.
                    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2, labels: {version: v2}}
                ---
                # Routes are tried in order: the header route first, then the weighted split.
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - name: canary
                    match: [{headers: {%3$s: {exact: %4$s}}}]
                    route: [{destination: {host: catalog, subset: v2}}]
                  - name: split
                    route:
                    - {destination: {host: catalog, subset: v1}, weight: %1$d}
                    - {destination: {host: catalog, subset: v2}, weight: %2$d}
                    # A 5xx, a reset or a failed connect is tried again on another instance of the
                    # same subset, up to twice, after a jittered back-off of 25 ms or more.
                    retries: {attempts: 2, retryOn: "5xx,reset,connect-failure"}
                """.formatted(split.v1Weight(), split.v2Weight(), canaryHeader, canaryValue);
    }
}

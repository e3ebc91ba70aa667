package dev.trellis.cli.demo;

/**
 * The YAML documents of the demo mesh, written as a user would write them, so the files the demo
 * leaves open for reading are a working example of the config format.
 */
final class MeshDocuments {
    /** The port clients use to reach catalog; the proxies map it to the real endpoints. */
    static final int CATALOG_PORT = 80;

    private MeshDocuments() {}

    /** The sidecar in front of one version of catalog. */
    static String catalogSidecar(String version, int inboundPort, int appPort) {
        return """
                # The sidecar beside catalog-%1$s: the mesh reaches the app only through its inbound port.
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: catalog-%1$s}
                spec:
                  workload: {service: catalog, labels: {app: catalog, version: %1$s}}
                  inbound: {port: %2$d, appPort: %3$d, protocol: HTTP}
                  admin: {port: 0}   # 0: any free port
                """.formatted(version, inboundPort, appPort);
    }

    /** The client's sidecar: the client calls catalog at 127.0.0.1:bindPort. */
    static String clientSidecar(String name, int bindPort) {
        return """
                # The sidecar beside the client, %1$s: the client calls catalog at 127.0.0.1:%2$d,
                # and this proxy picks the version (see mesh.yaml).
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: %1$s}
                spec:
                  workload: {service: %1$s}
                  upstreams: [{service: catalog, port: %3$d, bindPort: %2$d}]
                  admin: {port: 0}   # 0: any free port
                """.formatted(name, bindPort, CATALOG_PORT);
    }

    /** What every proxy knows about catalog: its endpoints, its subsets, its routes. */
    static String mesh(int v1InboundPort, int v2InboundPort, int v1Weight, String canaryHeader, String canaryValue) {
        return """
                # catalog's endpoints are its sidecars' inbound ports, not the apps themselves,
                # so every request crosses two proxies: the caller's and the callee's.
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  ports: [{number: %3$d, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints:
                  - {address: 127.0.0.1, ports: {http: %1$d}, labels: {version: v1}}
                  - {address: 127.0.0.1, ports: {http: %2$d}, labels: {version: v2}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
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
                    match: [{headers: {%6$s: {exact: %7$s}}}]
                    route: [{destination: {host: catalog, subset: v2}}]
                  - name: split
                    route:
                    - {destination: {host: catalog, subset: v1}, weight: %4$d}
                    - {destination: {host: catalog, subset: v2}, weight: %5$d}
                """.formatted(v1InboundPort, v2InboundPort, CATALOG_PORT, v1Weight, 100 - v1Weight,
                canaryHeader, canaryValue);
    }
}

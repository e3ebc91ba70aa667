package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpLoad;
import dev.trellis.testing.KeepAliveClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane end to end, as users run it: {@code trellis control-plane}, sidecars and a
 * client proxy as their own processes, configuration through the CLI, real traffic on loopback.
 */
class ControlPlaneProcessTest {
    static final Pattern SERVING = Pattern.compile("xDS on 127\\.0\\.0\\.1:(\\d+), HTTP API on 127\\.0\\.0\\.1:(\\d+)");
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String WEB_LISTENER = "outbound|0|catalog.default.svc.cluster.local:80";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    HttpEchoServer appV1;
    HttpEchoServer appV2;
    final List<AutoCloseable> started = new ArrayList<>();
    TrellisProcess controlPlane;
    int xdsPort;
    int apiPort;

    /** What a CLI command printed, and its exit code. */
    record Run(int exit, String out, String err) {}

    @BeforeEach
    void apps() {
        appV1 = new HttpEchoServer("catalog-v1").start();
        appV2 = new HttpEchoServer("catalog-v2").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        appV1.close();
        appV2.close();
    }

    private <T extends AutoCloseable> T later(T resource) {
        started.add(resource);
        return resource;
    }

    /** Starts the control plane; on ports 0 the first time, on the same ports when it comes back. */
    private void startControlPlane(String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("control-plane", "--data-dir", dir.resolve("cp").toString(),
                "--xds-port", Integer.toString(xdsPort), "--api-port", Integer.toString(apiPort)));
        args.addAll(List.of(extra));
        controlPlane = later(TrellisProcess.start(dir.resolve("cp-" + started.size() + ".log"), dir.resolve("home"),
                args.toArray(String[]::new)));
        Matcher serving = controlPlane.awaitOutput(SERVING);
        xdsPort = Integer.parseInt(serving.group(1));
        apiPort = Integer.parseInt(serving.group(2));
    }

    private TrellisProcess startProxy(String name, String yaml) throws IOException {
        Path config = Files.writeString(dir.resolve(name + ".yaml"), yaml);
        return later(TrellisProcess.start(dir.resolve(name + ".log"), dir.resolve("home"), "proxy",
                "--control-plane", "127.0.0.1:" + xdsPort, "--config", config.toString(),
                "--data-dir", dir.resolve(name).toString(), "--threads", "1"));
    }

    /** A sidecar in front of a catalog app: its proxy registers the app as an instance of catalog. */
    private TrellisProcess startSidecar(String version, int inboundPort, HttpEchoServer app) throws IOException {
        return startProxy("catalog-" + version, """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: catalog-%s}
                spec:
                  workload: {service: catalog, serviceAccount: catalog, labels: {version: %s}}
                  inbound: {port: %d, appPort: %d, protocol: HTTP}
                  admin: {port: 0}
                """.formatted(version, version, inboundPort, app.port()));
    }

    private static String client(int... extraBindPorts) {
        StringBuilder upstreams = new StringBuilder("[{service: catalog, port: 80, bindPort: 0}");
        for (int port : extraBindPorts) {
            upstreams.append(", {service: catalog, port: 80, bindPort: ").append(port).append('}');
        }
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: web}
                spec:
                  upstreams: %s]
                  admin: {port: 0}
                """.formatted(upstreams);
    }

    /**
     * Least request said outright: tests count the instances a few requests in a row reach, and
     * peak EWMA, the default, sends such requests to whichever instance it estimates cheaper.
     */
    private static String routes(int v1, int v2) {
        return """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: catalog}
                spec:
                  host: catalog
                  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
                  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: catalog}
                spec:
                  hosts: [catalog]
                  http:
                  - route:
                    - {destination: {host: catalog, subset: v1}, weight: %d}
                    - {destination: {host: catalog, subset: v2}, weight: %d}
                """.formatted(v1, v2);
    }

    /** Runs a CLI verb in this JVM against the control plane's API, capturing what it prints. */
    private synchronized Run cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--api", "127.0.0.1:" + apiPort));
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            int exit = Main.commandLine().execute(all.toArray(String[]::new));
            return new Run(exit, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private Run apply(String name, String yaml) throws IOException {
        return cli("apply", "-f", Files.writeString(dir.resolve(name), yaml).toString());
    }

    private JsonNode json(String... get) throws IOException {
        Run run = cli(get);
        assertThat(run.exit()).as(run.err()).isZero();
        return new ObjectMapper().readTree(run.out());
    }

    private static String servedBy(int port) throws IOException {
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            KeepAliveClient.Response response = client.get("/items");
            return response.status() + " " + response.header("x-served-by");
        }
    }

    /** Who served {@code n} requests, by "status server". */
    private static Map<String, Integer> serve(int port, int n) throws IOException {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < n; i++) {
            seen.merge(servedBy(port), 1, Integer::sum);
        }
        return seen;
    }

    /**
     * A port for a sidecar's inbound listener. A sidecar registers its app at the inbound port its
     * Proxy document names, before it binds anything, so that port must be known beforehand and
     * cannot be 0: the one place these tests probe for a free port.
     */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void awaitSynced(int proxies) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(cli("proxy-status").out().lines().filter(l -> l.contains(" SYNCED ")))
                .hasSize(proxies));
    }

    @Test
    void configurationAndRegistrationsReachProxiesLiveAndSurviveAKillOfTheControlPlane() throws Exception {
        startControlPlane();
        Run applied = apply("routes.yaml", routes(100, 0));
        assertThat(applied.exit()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("DestinationRule default/catalog created", "VirtualService default/catalog created");
        int inboundV1 = freePort();
        int inboundV2 = freePort();
        startSidecar("v1", inboundV1, appV1);
        startSidecar("v2", inboundV2, appV2);
        TrellisProcess web = startProxy("web", client());
        int port = TrellisProcess.listenerPort(web.adminPort(), WEB_LISTENER);

        // catalog is declared by no ServiceEntry: its sidecars registered it.
        await().atMost(WAIT).ignoreExceptions().until(() -> serve(port, 10), Map.of("200 catalog-v1", 10)::equals);
        JsonNode registered = json("get", "workloadentries", "-o", "json");
        assertThat(registered.get("items")).extracting(r -> r.get("port").asInt()).containsExactlyInAnyOrder(inboundV1, inboundV2);
        assertThat(registered.get("items")).allSatisfy(r -> {
            assertThat(r.get("service").asText()).isEqualTo("catalog.default.svc.cluster.local");
            assertThat(r.get("address").asText()).isEqualTo("127.0.0.1");
            assertThat(r.get("serviceAccount").asText()).isEqualTo("catalog");
        });
        awaitSynced(3);

        // An invalid apply changes nothing and says why.
        Run rejected = apply("bad.yaml", routes(70, 70));
        assertThat(rejected.exit()).isEqualTo(1);
        assertThat(rejected.err()).contains("bad.yaml (document 2) VirtualService default/catalog: spec.http[0].route:"
                + " weights add up to 140 (expected: 100)");
        assertThat(json("get", "vs", "catalog", "-o", "json").at("/spec/http/0/route/0/weight").asInt()).isEqualTo(100);

        // A route change reaches traffic.
        assertThat(apply("routes.yaml", routes(0, 100)).out()).contains("VirtualService default/catalog configured");
        await().atMost(WAIT).until(() -> serve(port, 10), Map.of("200 catalog-v2", 10)::equals);

        // The control plane killed under load: nothing fails, and it comes back with everything.
        try (HttpLoad load = HttpLoad.start("127.0.0.1", port, "/items", 4)) {
            await().atMost(WAIT).until(() -> load.completed() > 100);
            controlPlane.kill();
            long before = load.completed();
            await().atMost(WAIT).until(() -> load.completed() > before + 500);
            startControlPlane();
            awaitSynced(3);
            long after = load.completed();
            await().atMost(WAIT).until(() -> load.completed() > after + 100);
            load.close();
            assertThat(load.failures()).as("requests failed while the control plane was down and came back").isEmpty();
            assertThat(load.servedBy()).containsOnlyKeys("catalog-v2");
        }
        assertThat(json("get", "vs", "catalog", "-o", "json").at("/spec/http/0/route/1/weight").asInt()).isEqualTo(100);
        assertThat(json("get", "we", "-o", "json").get("items")).extracting(r -> r.get("port").asInt())
                .containsExactlyInAnyOrder(inboundV1, inboundV2);
        assertThat(controlPlane.output()).doesNotContain("LEAK:");
    }

    @Test
    void aNackShowsInProxyStatusWhileTrafficFlowsAndAGoneProxyLeavesTheRegistry() throws Exception {
        startControlPlane("--registration-grace", "3");
        apply("routes.yaml", routes(50, 50));
        // The client first: catalog has no instance yet, and its listener says so.
        TrellisProcess web = startProxy("web", client());
        int port = TrellisProcess.listenerPort(web.adminPort(), WEB_LISTENER);
        try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
            KeepAliveClient.Response response = client.get("/items");
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.bodyText()).startsWith("no healthy upstream for outbound|80|v");
        }
        startSidecar("v1", freePort(), appV1);
        int inboundV2 = freePort();
        TrellisProcess sidecarV2 = startSidecar("v2", inboundV2, appV2);
        await().atMost(WAIT).ignoreExceptions().until(() -> serve(port, 20).keySet(),
                seen -> seen.equals(java.util.Set.of("200 catalog-v1", "200 catalog-v2")));

        // The client's Proxy document gains an upstream on a port another process holds: the
        // listener cannot be bound, the proxy NACKs it, and the old listener keeps serving.
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                HttpLoad load = HttpLoad.start("127.0.0.1", port, "/items", 2)) {
            Files.writeString(dir.resolve("web.yaml"), client(taken.getLocalPort()));
            web.signal("HUP");
            await().atMost(WAIT).untilAsserted(() -> {
                Run status = cli("proxy-status");
                assertThat(status.out()).containsPattern("web\\.default .* NACKED ")
                        .contains("rejected LDS version").contains(Integer.toString(taken.getLocalPort()));
            });
            long before = load.completed();
            await().atMost(WAIT).until(() -> load.completed() > before + 100);
            load.close();
            assertThat(load.failures()).isEmpty();
        }

        // Without the VirtualService, catalog's traffic goes to every registered instance.
        Run deleted = cli("delete", "virtualservice", "catalog");
        assertThat(deleted.out()).contains("VirtualService default/catalog deleted");
        await().atMost(WAIT).until(() -> serve(port, 20).keySet(), seen -> seen.equals(java.util.Set.of("200 catalog-v1", "200 catalog-v2")));

        // A proxy killed with -9 leaves the registry after the grace period, and no sooner.
        sidecarV2.kill();
        assertThat(json("get", "we", "-o", "json").get("items")).extracting(r -> r.get("port").asInt()).contains(inboundV2);
        await().atMost(WAIT).until(() -> json("get", "we", "-o", "json").get("items").size() == 1);
        await().atMost(WAIT).until(() -> serve(port, 20), Map.of("200 catalog-v1", 20)::equals);
    }
}

package dev.trellis.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.KeepAliveClient;
import dev.trellis.testing.leaks.LeakGate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar users run ({@code java -jar trellis-cli/target/trellis.jar}, as the launcher does), with
 * only its manifest's class path: a control plane, the CLI verbs and a proxy over ADS.
 */
class PackagedJarIT {
    static final Pattern SERVING = Pattern.compile("xDS on 127\\.0\\.0\\.1:(\\d+), HTTP API on 127\\.0\\.0\\.1:(\\d+)");
    static final Pattern ADMIN = Pattern.compile("admin on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();
    final Map<String, Process> byName = new HashMap<>();

    /** SIGTERM, so that each process reports what it leaked as it exits; then fails on any leak. */
    @AfterEach
    void stop() throws InterruptedException, IOException {
        for (Process process : processes) {
            process.destroy();
            if (!process.waitFor(40, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
        for (String name : byName.keySet()) {
            LeakGate.assertNoLeaks(name, Files.readString(dir.resolve(name + ".log")));
        }
    }

    private Process start(String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Duser.home=" + dir.resolve("home")));
        command.addAll(LeakGate.JVM_FLAGS); // trellis-testing is in the jar's lib/, for the demo's sample apps
        command.addAll(List.of("-jar", System.getProperty("trellis.jar")));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        processes.add(process);
        byName.put(name, process);
        return process;
    }

    /** Runs a command to its end; its output. */
    private String run(String... args) throws Exception {
        Process process = start("run-" + processes.size(), args);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = Files.readString(dir.resolve("run-" + (processes.size() - 1) + ".log"));
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    /** The first match of {@code pattern} in a process's output, once it appears; fails at once if the process ended. */
    private Matcher awaitLog(String name, Pattern pattern) {
        return await().atMost(Duration.ofSeconds(60)).until(() -> {
            String output = Files.readString(dir.resolve(name + ".log"));
            if (!byName.get(name).isAlive()) {
                throw new AssertionError(name + " ended: " + output);
            }
            return pattern.matcher(output);
        }, Matcher::find);
    }

    @Test
    void theJarRunsTheControlPlaneTheCliAndAConnectedProxy() throws Exception {
        try (HttpEchoServer app = new HttpEchoServer("app").start()) {
            assertThat(run("--version")).contains("trellis ");
            start("cp", "control-plane", "--data-dir", dir.resolve("cp").toString(), "--xds-port", "0", "--api-port", "0");
            Matcher serving = awaitLog("cp", SERVING);
            String api = "127.0.0.1:" + serving.group(2);
            Path mesh = Files.writeString(dir.resolve("mesh.yaml"), """
                    apiVersion: networking.istio.io/v1
                    kind: ServiceEntry
                    metadata: {name: app}
                    spec:
                      hosts: [app]
                      ports: [{number: 80, name: http, protocol: HTTP}]
                      resolution: STATIC
                      endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                    """.formatted(app.port()));
            assertThat(run("apply", "-f", mesh.toString(), "--api", api)).contains("ServiceEntry default/app created");
            assertThat(run("get", "se", "--api", api)).contains("app");
            assertThat(run("bootstrap", "grpc", "--node-id", "n1")).contains("\"server_uri\"");

            Path proxy = Files.writeString(dir.resolve("proxy.yaml"), """
                    apiVersion: trellis.dev/v1alpha1
                    kind: Proxy
                    metadata: {name: client}
                    spec:
                      upstreams: [{service: app, port: 80, bindPort: 0}]
                      admin: {port: 0}
                    """);
            start("proxy", "proxy", "--control-plane", "127.0.0.1:" + serving.group(1), "--config", proxy.toString(),
                    "--data-dir", dir.resolve("proxy").toString(), "--threads", "1");
            int admin = Integer.parseInt(awaitLog("proxy", ADMIN).group(1));
            int port = TrellisProcess.listenerPort(admin, "outbound|0|app.default.svc.cluster.local:80");
            try (KeepAliveClient client = new KeepAliveClient("127.0.0.1", port, Duration.ofSeconds(10))) {
                KeepAliveClient.Response response = client.get("/hello");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("x-served-by")).isEqualTo("app");
            }
            assertThat(run("proxy-status", "--api", api)).contains("client.default", "SYNCED");
        }
    }
}

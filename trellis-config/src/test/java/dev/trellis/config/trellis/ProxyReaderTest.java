package dev.trellis.config.trellis;

import static dev.trellis.config.Documents.problem;
import static dev.trellis.config.Documents.problems;
import static dev.trellis.config.Documents.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.ConfigException;
import dev.trellis.model.Locality;
import dev.trellis.model.Meta;
import dev.trellis.model.Origin;
import dev.trellis.model.Protocol;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.model.ProxyBootstrap.Admin;
import dev.trellis.model.ProxyBootstrap.Inbound;
import dev.trellis.model.ProxyBootstrap.Upstream;
import dev.trellis.model.ProxyBootstrap.Workload;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProxyReaderTest {
    private static final String PREFIX = "test.yaml (document 1) Proxy default/web: ";

    /** A Proxy named web with {@code spec}, indented by 2. */
    private static String proxy(String spec) {
        return """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: web}
                spec:
                """ + spec.indent(2);
    }

    private static ProxyBootstrap readProxy(String spec) throws ConfigException {
        return read(proxy(spec)).proxies().get(0);
    }

    @Test
    void anEmptySpecTakesEveryDefault() throws ConfigException {
        assertThat(read(proxy("").replace("spec:", "spec: {}")).proxies()).containsExactly(new ProxyBootstrap(
                new Meta("Proxy", "web", "default", new Origin("test.yaml", 1)),
                new Workload("web", "default", Map.of()),
                Optional.empty(),
                List.of(),
                new Admin(15000)));
    }

    @Test
    void readsEveryField() throws ConfigException {
        ProxyBootstrap proxy = readProxy("""
                workload: {service: web-frontend, serviceAccount: web-sa, labels: {app: web, version: v1}, locality: us-west/zone1}
                inbound: {port: 16006, appPort: 8080, protocol: grpc}
                upstreams:
                - {service: catalog, port: 80, bindPort: 9090}
                - {service: api.payments.example, port: 443, bindPort: 9091}
                admin: {port: 16000}
                """);

        assertThat(proxy.workload()).isEqualTo(new Workload("web-frontend", "web-sa", Map.of("app", "web", "version", "v1"),
                new Locality("us-west", "zone1", "")));
        assertThat(proxy.inbound()).contains(new Inbound(16006, 8080, Protocol.GRPC));
        assertThat(proxy.upstreams()).containsExactly(
                new Upstream("catalog.default.svc.cluster.local", 80, 9090),
                new Upstream("api.payments.example", 443, 9091));
        assertThat(proxy.admin()).isEqualTo(new Admin(16000));
    }

    @Test
    void theInboundPortDefaultsTo15006AndTheProtocolToHttp() throws ConfigException {
        assertThat(readProxy("inbound: {appPort: 8080}").inbound()).contains(new Inbound(15006, 8080, Protocol.HTTP));
    }

    @Test
    void portZeroAsksTheSystemForAFreePortAndMayRepeat() throws ConfigException {
        ProxyBootstrap proxy = readProxy("""
                inbound: {port: 0, appPort: 8080}
                upstreams:
                - {service: catalog, port: 80, bindPort: 0}
                - {service: orders, port: 80, bindPort: 0}
                admin: {port: 0}
                """);

        assertThat(proxy.inbound().orElseThrow().port()).isZero();
        assertThat(proxy.upstreams()).extracting(Upstream::bindPort).containsExactly(0, 0);
        assertThat(proxy.admin().port()).isZero();
    }

    @Test
    void twoListenersCannotShareAPort() {
        assertThat(problems("""
                inbound: {port: 15006, appPort: 9090}
                upstreams:
                - {service: catalog, port: 80, bindPort: 9090}
                - {service: orders, port: 80, bindPort: 15006}
                - {service: users, port: 80, bindPort: 15000}
                """.transform(ProxyReaderTest::proxy))).containsExactly(
                PREFIX + "spec.upstreams[0].bindPort: 9090 (expected: a port not used by spec.inbound.appPort)",
                PREFIX + "spec.upstreams[1].bindPort: 15006 (expected: a port not used by spec.inbound.port)",
                PREFIX + "spec.upstreams[2].bindPort: 15000 (expected: a port not used by the default spec.admin.port)");
    }

    @Test
    void aClashWithADefaultPortIsReportedWhereThePortWasWritten() {
        assertThat(problem(proxy("""
                inbound: {port: 15000, appPort: 8080}
                """))).isEqualTo(PREFIX + "spec.inbound.port: 15000 (expected: a port not used by the default spec.admin.port)");
        assertThat(problem(proxy("""
                inbound: {appPort: 8080}
                admin: {port: 15006}
                """))).isEqualTo(PREFIX + "spec.admin.port: 15006 (expected: a port not used by the default spec.inbound.port)");
    }

    @Test
    void portsMustBeInRange() {
        assertThat(problems(proxy("""
                inbound: {appPort: 0, port: 70000, protocol: UDP}
                upstreams:
                - {service: catalog, port: 0, bindPort: -1}
                - {port: 80}
                admin: {port: "15000"}
                """))).containsExactly(
                PREFIX + "spec.inbound.port: 70000 (expected: 0..65535)",
                PREFIX + "spec.inbound.appPort: 0 (expected: 1..65535)",
                PREFIX + "spec.inbound.protocol: \"UDP\" (expected: one of HTTP, HTTP2, GRPC, TCP)",
                PREFIX + "spec.upstreams[0].port: 0 (expected: 1..65535)",
                PREFIX + "spec.upstreams[0].bindPort: -1 (expected: 0..65535)",
                PREFIX + "spec.upstreams[1].service: missing (expected: a host name such as catalog or api.example.com)",
                PREFIX + "spec.upstreams[1].bindPort: missing (expected: an integer in 0..65535)",
                PREFIX + "spec.admin.port: \"15000\" (expected: an integer in 0..65535)");
    }

    @Test
    void unknownFieldsAreRejected() {
        assertThat(problem(proxy("""
                workload: {serviceAcount: web}
                """))).isEqualTo(PREFIX + "spec.workload.serviceAcount: unknown field "
                + "(expected: one of service, serviceAccount, labels, locality)");
    }

    @Test
    void theWorkloadsLocalityIsNoneUnlessGivenAndMustBeOne() throws ConfigException {
        assertThat(readProxy("workload: {service: web}").workload().locality()).isSameAs(Locality.NONE);
        assertThat(problem(proxy("workload: {locality: us-west/zone1/rack1/shelf2}"))).isEqualTo(PREFIX
                + "spec.workload.locality: \"us-west/zone1/rack1/shelf2\" (expected: a locality region, region/zone or"
                + " region/zone/subzone, each part letters, digits, '-', '_' or '.')");
    }
}

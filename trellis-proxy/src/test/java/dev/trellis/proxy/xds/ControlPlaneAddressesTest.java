package dev.trellis.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --control-plane HOST:PORT}, repeatable, tried in order and round again. */
class ControlPlaneAddressesTest {
    @Test
    void triesEachInOrderAndWrapsAround() {
        ControlPlaneAddresses addresses = ControlPlaneAddresses.parse(List.of("cp-a:15010", "10.0.0.2:15010", "[::1]:15010"));
        assertThat(addresses.current()).hasToString("cp-a:15010");
        assertThat(addresses.next()).hasToString("10.0.0.2:15010");
        assertThat(addresses.next()).isEqualTo(new ControlPlaneAddresses.Address("::1", 15010)).hasToString("[::1]:15010");
        assertThat(addresses.next()).hasToString("cp-a:15010");
    }

    @Test
    void oneAddressIsTriedAgainAndAgain() {
        ControlPlaneAddresses addresses = ControlPlaneAddresses.parse(List.of("127.0.0.1:15010"));
        assertThat(addresses.next()).isEqualTo(addresses.current()).hasToString("127.0.0.1:15010");
    }

    @Test
    void saysWhatIsWrongWithAnAddress() {
        assertThatThrownBy(() -> ControlPlaneAddresses.parse(List.of("cp-a")))
                .hasMessage("--control-plane: 'cp-a' (expected: HOST:PORT, e.g. 127.0.0.1:15010)");
        assertThatThrownBy(() -> ControlPlaneAddresses.parse(List.of("cp-a:http"))).hasMessageContaining("expected: HOST:PORT");
        assertThatThrownBy(() -> ControlPlaneAddresses.parse(List.of(":15010"))).hasMessageContaining("expected: HOST:PORT");
        assertThatThrownBy(() -> ControlPlaneAddresses.parse(List.of("cp-a:70000")))
                .hasMessage("--control-plane: cp-a:70000: port 70000 (expected: 1..65535)");
        assertThatThrownBy(() -> ControlPlaneAddresses.parse(List.of())).hasMessageContaining("none given");
    }
}
